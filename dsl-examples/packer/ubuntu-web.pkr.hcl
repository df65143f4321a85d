# A Packer HCL2 template for the same image as ../ubuntu-web.imagebake.groovy, as a Packer user has it before
# moving: try `bin/imagebake import --out dsl-examples/packer/web.imagebake.groovy dsl-examples/packer/ubuntu-web.pkr.hcl` (src/docs/import.md).
variable "location" {
  type    = string
  default = "westeurope"
}

variable "image_version" {
  type    = string
  default = "1.4.0"
}

locals {
  stamp = formatdate("YYYYMMDDhhmm", timestamp())
}

source "azure-arm" "web" {
  location                          = var.location
  vm_size                           = "Standard_D2s_v5"
  os_type                           = "Linux"
  image_publisher                   = "Canonical"
  image_offer                       = "0001-com-ubuntu-server-jammy"
  image_sku                         = "22_04-lts-gen2"
  managed_image_name                = "web-${local.stamp}"
  managed_image_resource_group_name = "images"

  shared_image_gallery_destination {
    resource_group      = "images"
    gallery_name        = "corp"
    image_name          = "web"
    image_version       = var.image_version
    replication_regions = ["westeurope", "northeurope"]
  }

  azure_tags = {
    team = "web"
  }
}

build {
  sources = ["source.azure-arm.web"]

  provisioner "shell" {
    inline      = ["sudo apt-get update", "sudo apt-get install -y nginx"]
    timeout     = "10m"
    max_retries = 2
  }

  provisioner "file" {
    source      = "${path.root}/files/site.conf"
    destination = "/tmp/site.conf"
  }

  provisioner "shell" {
    inline = ["sudo mv /tmp/site.conf /etc/nginx/sites-available/default", "sudo systemctl enable nginx"]
  }

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; {{ .Vars }} sudo -E sh '{{ .Path }}'"
    inline          = ["/usr/sbin/waagent -force -deprovision+user && export HISTSIZE=0 && sync"]
  }

  post-processor "manifest" {
    output = "manifest.json"
  }
}
