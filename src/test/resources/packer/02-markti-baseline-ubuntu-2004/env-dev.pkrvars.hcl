gallery_resource_group = "rg-aztf-machine-images-dev"
gallery_name           = "galaztfmachineimagesdev"
vm_size                = "Standard_DS2_v2"