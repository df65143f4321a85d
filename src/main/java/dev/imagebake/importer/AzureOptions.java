package dev.imagebake.importer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** One azure-arm source (or JSON builder) as {@code builder azure('NAME') { ... }}. */
final class AzureOptions {
    /** Options imagebake has no use for, dropped with no to-do: imagebake does the same by itself. */
    private static final Map<String, String> DROPPED = Map.of(
            "use_azure_cli_auth", "imagebake signs in with the Azure CLI when no service principal is given",
            "async_resourcegroup_delete", "imagebake deletes the build resource group itself",
            "communicator", "imagebake connects over SSH",
            "ssh_pty", "each shell step gets `pty true` instead",
            "image_version", "");
    private static final Set<String> KEY_VAULT_OR_WINRM = Set.of("build_key_vault_name", "build_key_vault_sku",
            "build_key_vault_secret_name", "winrm_use_ssl", "winrm_insecure", "winrm_timeout", "winrm_username",
            "winrm_password", "winrm_port", "winrm_use_ntlm", "winrm_expiry_timeout");
    private static final Map<String, String> CLOUDS = Map.of("Public", "public", "AzurePublicCloud", "public",
            "China", "china", "AzureChinaCloud", "china", "USGovernment", "usgovernment",
            "AzureUSGovernmentCloud", "usgovernment");

    private final GroovyWriter w;
    private final GroovyWriter.Built built;
    private final Block s;
    private final List<String> done = new ArrayList<>();

    AzureOptions(GroovyWriter w, GroovyWriter.Built built) {
        this.w = w;
        this.built = built;
        // Nested blocks (shared_image_gallery_destination { }, spot { }) read like JSON's objects.
        Block source = built.source();
        this.s = new Block(source.labels, source.at);
        s.attrs.putAll(source.attrs);
        s.locs.putAll(source.locs);
        for (Block b : source.blocks) {
            s.put(b.type(), new Val.Obj(new java.util.LinkedHashMap<>(b.attrs)), b.at);
        }
    }

    void write() {
        write(Val.quote(built.name()));
    }

    /** Writes the builder, named by {@code name} (Groovy: a quoted name, or an expression inside a loop). */
    void write(String name) {
        w.line(0, "");
        w.line(0, "builder azure(" + name + ") {");
        boolean windows = "windows".equalsIgnoreCase(text("os_type"));
        simple("subscription_id", "subscription");
        simple("tenant_id", "tenant");
        simple("client_id", "clientId");
        simple("client_secret", "clientSecret");
        simple("client_cert_path", "clientCertificate");
        simple("client_jwt", "clientJwt");
        if (has("cloud_environment_name")) {
            String cloud = text("cloud_environment_name") == null ? null : CLOUDS.get(text("cloud_environment_name"));
            if (cloud != null) {
                set("cloud", new Val.Lit(cloud));
            } else if (text("cloud_environment_name") == null) {
                todo("cloud_environment_name", "a computed cloud name: write cloud 'public', 'china' or 'usgovernment'");
            } else {
                todo("cloud_environment_name", "'" + s.attrs.get("cloud_environment_name").groovy()
                        + "' is not a cloud imagebake knows");
            }
            done.add("cloud_environment_name");
        }
        simple("location", "location");
        simple("vm_size", "vmSize");
        if (has("os_type")) {
            done.add("os_type");
            if (windows) {
                todo("os_type", "Windows builds are not supported by imagebake yet");
            }
        }
        source();
        if (has("plan_info")) {
            Map<String, Val> plan = Functions.entries(s.attrs.get("plan_info"));
            done.add("plan_info");
            if (plan.containsKey("plan_name")) {
                set("purchasePlan", "name: " + plan.get("plan_name").groovy() + ", product: "
                        + plan.getOrDefault("plan_product", new Val.Lit("")).groovy() + ", publisher: "
                        + plan.getOrDefault("plan_publisher", new Val.Lit("")).groovy());
            }
        }
        if (has("os_disk_size_gb")) {
            set("osDisk", "sizeGb: " + number(s.attrs.get("os_disk_size_gb")));
            done.add("os_disk_size_gb");
        }
        if (s.attrs.get("disk_additional_size") instanceof Val.Lst sizes) {
            sizes.items().forEach(size -> set("dataDisk", "sizeGb: " + number(size)));
            done.add("disk_additional_size");
        }
        spot();
        if ("TrustedLaunch".equals(text("security_type"))
                || ("true".equals(text("secure_boot_enabled")) && "true".equals(text("vtpm_enabled")))) {
            set("trustedLaunch", new Val.Lit(true));
            done.addAll(List.of("security_type", "secure_boot_enabled", "vtpm_enabled"));
        }
        file("custom_data_file", "customDataFile");
        file("user_data_file", "userDataFile");
        if (s.attrs.get("user_assigned_managed_identities") instanceof Val.Lst ids) {
            ids.items().forEach(id -> set("identity", id));
            done.add("user_assigned_managed_identities");
        } else {
            simple("user_assigned_managed_identities", "identity");
        }
        if (has("azure_tags")) {
            Val tags = s.attrs.get("azure_tags");
            set("tags", tags instanceof Val.Obj o ? o.groovy().substring(1, o.groovy().length() - 1) : tags.groovy());
            done.add("azure_tags");
        }
        simple("disk_encryption_set_id", "diskEncryptionSet");
        simple("build_resource_group_name", "buildResourceGroup");
        if (has("keep_os_disk")) {
            done.add("keep_os_disk");
            if (!has("build_resource_group_name") && !"false".equals(text("keep_os_disk"))) {
                todo("keep_os_disk", "without build_resource_group_name the disk is deleted with the temporary "
                        + "resource group (in Packer too); imagebake keeps it only with buildResourceGroup");
            } else {
                set("keepOsDisk", s.attrs.get("keep_os_disk"));
            }
        }
        simple("temp_resource_group_name", "tempResourceGroupName");
        simple("temp_compute_name", "tempComputeName");
        network();
        simple("allowed_inbound_ip_addresses", "allowSshFrom");
        if (has("ssh_username") || windows) {
            simple("ssh_username", "sshUser");
        } else {
            // Packer's azure-arm logs in as "packer" when no ssh_username is given, and scripts count on it
            // (uploads to /home/packer/...). imagebake's own default user is "imagebake".
            w.line(1, "sshUser 'packer'   // Packer's default user: the template's steps may use /home/packer");
        }
        simple("ssh_timeout", "sshTimeout");
        simple("ssh_read_write_timeout", "sshReadWriteTimeout");
        sshPrivateKeyFile();
        simple("polling_duration_timeout", "operationTimeout");
        simple("shared_image_gallery_timeout", "galleryTimeout");
        managedImage();
        gallery();
        for (Map.Entry<String, Val> e : s.attrs.entrySet()) {
            String key = e.getKey();
            if (done.contains(key)) {
                continue;
            }
            if (DROPPED.containsKey(key)) {
                if (!DROPPED.get(key).isEmpty()) {
                    w.line(1, "// " + key + " (" + s.loc(key) + ") dropped: " + DROPPED.get(key) + ".");
                }
            } else if (KEY_VAULT_OR_WINRM.contains(key) && !windows) {
                w.line(1, "// " + key + " (" + s.loc(key) + ") dropped: a Key Vault or WinRM option has no use "
                        + "on a Linux build.");
            } else {
                todo(key, why(key));
            }
        }
        w.line(0, "}");
    }

    private static String why(String key) {
        return switch (key) {
            case "capture_container_name", "capture_name_prefix", "storage_account", "resource_group_name" ->
                    "VHD capture into a storage account is not supported: publish a managed image or a gallery version";
            case "image_url" -> "a VHD as source is not supported: use a managed image or a gallery version";
            case "custom_data", "user_data" -> "give the text (not base64) with customData/userData or file(...)";
            default -> "has no imagebake equivalent";
        };
    }

    private void source() {
        if (has("image_publisher")) {
            StringBuilder args = new StringBuilder(val("image_publisher") + ", " + val("image_offer") + ", "
                    + val("image_sku"));
            if (has("image_version") && !"latest".equals(text("image_version"))) {
                args.append(", ").append(val("image_version"));
            }
            set("source", "marketplace(" + args + ")");
            done.addAll(List.of("image_publisher", "image_offer", "image_sku", "image_version"));
        } else if (has("custom_managed_image_name")) {
            String subscription = has("subscription_id") ? "${" + s.attrs.get("subscription_id").groovy() + "}" : null;
            done.addAll(List.of("custom_managed_image_name", "custom_managed_image_resource_group_name"));
            if (subscription == null) {
                todo("custom_managed_image_name", "imagebake takes a managed image by resource id, which needs the "
                        + "subscription: put it in place of SUBSCRIPTION");
                subscription = "SUBSCRIPTION";
            }
            Val id = Val.concat(List.of("/subscriptions/", s.attrs.getOrDefault("subscription_id",
                    new Val.Lit("SUBSCRIPTION")), "/resourceGroups/",
                    s.attrs.getOrDefault("custom_managed_image_resource_group_name", new Val.Lit("RESOURCE_GROUP")),
                    "/providers/Microsoft.Compute/images/", s.attrs.get("custom_managed_image_name")));
            set("source", "image(" + id.groovy() + ")");
        } else if (has("shared_image_gallery")) {
            Map<String, Val> g = Functions.entries(s.attrs.get("shared_image_gallery"));
            done.add("shared_image_gallery");
            if (g.containsKey("community_gallery_image_id")) {
                set("source", "communityGalleryImage(" + g.get("community_gallery_image_id").groovy() + ")");
                return;
            }
            if (g.containsKey("direct_shared_gallery_image_id")) {
                set("source", "sharedGalleryImage(" + g.get("direct_shared_gallery_image_id").groovy() + ")");
                return;
            }
            StringBuilder args = new StringBuilder(g.getOrDefault("gallery_name", new Val.Lit("")).groovy() + ", "
                    + g.getOrDefault("image_name", new Val.Lit("")).groovy() + ", resourceGroup: "
                    + g.getOrDefault("resource_group", new Val.Lit("")).groovy());
            if (g.containsKey("image_version")) {
                args.append(", version: ").append(g.get("image_version").groovy());
            }
            if (g.containsKey("subscription")) {
                args.append(", subscription: ").append(g.get("subscription").groovy());
            }
            set("source", "galleryImage(" + args + ")");
        } else {
            w.todo(1, "source", s.at, "no image_publisher, custom_managed_image_name or shared_image_gallery: "
                    + "imagebake needs a source image");
        }
    }

    private void spot() {
        if (!has("spot")) {
            return;
        }
        Map<String, Val> spot = Functions.entries(s.attrs.get("spot"));
        List<String> args = new ArrayList<>();
        if (spot.containsKey("max_price")) {
            args.add("maxPrice: " + spot.get("max_price").groovy());
        }
        if (spot.containsKey("eviction_policy")) {
            args.add("eviction: " + spot.get("eviction_policy").groovy());
        }
        set("spot", args.isEmpty() ? "true" : String.join(", ", args));
        done.add("spot");
    }

    private void network() {
        if (!has("virtual_network_name")) {
            return;
        }
        done.addAll(List.of("virtual_network_name", "virtual_network_subnet_name",
                "virtual_network_resource_group_name", "private_virtual_network_with_public_ip"));
        if (!has("virtual_network_resource_group_name") || !has("virtual_network_subnet_name")) {
            todo("virtual_network_name", "Packer looks the network's resource group or subnet up; imagebake needs "
                    + "them named (resourceGroup:, subnet:)");
        }
        String privateIp = "true";
        if (has("private_virtual_network_with_public_ip")) {
            String pub = text("private_virtual_network_with_public_ip");
            // A variable here may hold the text 'true' (JSON templates): compare as text, not as Groovy truth.
            privateIp = pub == null ? Functions.operand(s.attrs.get("private_virtual_network_with_public_ip"))
                    + ".toString() != 'true'"
                    : String.valueOf(!Boolean.parseBoolean(pub));
        }
        String network = "network resourceGroup: " + val("virtual_network_resource_group_name") + ", virtualNetwork: "
                + val("virtual_network_name") + ", subnet: " + val("virtual_network_subnet_name") + ", privateIp: "
                + privateIp;
        if (text("virtual_network_name") == null) {
            // Packer builds in a network of its own when the name is empty, as an unset variable leaves it.
            w.line(1, "if (" + val("virtual_network_name") + ") {");
            w.line(2, network);
            w.line(1, "}");
        } else {
            w.line(1, network);
        }
    }

    /**
     * The user's own key: absolute and ~/ paths stay as they are, relative ones are rebased. Packer makes a key for
     * the build when the option is empty, as an unset variable leaves it: a variable is used only when it is set.
     */
    private void sshPrivateKeyFile() {
        if (!has("ssh_private_key_file")) {
            return;
        }
        done.add("ssh_private_key_file");
        Val path = w.path(s.attrs.get("ssh_private_key_file"), "ssh_private_key_file", s.loc("ssh_private_key_file"),
                1);
        if (path.text() == null) {
            w.line(1, "if (" + path.groovy() + ") {");
            w.call(2, "sshPrivateKeyFile", path.groovy());
            w.line(1, "}");
        } else {
            set("sshPrivateKeyFile", path);
        }
    }

    private void managedImage() {
        if (!has("managed_image_name")) {
            return;
        }
        StringBuilder args = new StringBuilder(val("managed_image_name") + ", resourceGroup: "
                + val("managed_image_resource_group_name"));
        if (has("managed_image_storage_account_type")) {
            args.append(", storageType: ").append(val("managed_image_storage_account_type"));
        }
        if (has("managed_image_zone_resilient")) {
            args.append(", zoneResilient: ").append(val("managed_image_zone_resilient"));
        }
        set("managedImage", args.toString());
        done.addAll(List.of("managed_image_name", "managed_image_resource_group_name",
                "managed_image_storage_account_type", "managed_image_zone_resilient"));
    }

    private void gallery() {
        if (!has("shared_image_gallery_destination")) {
            return;
        }
        done.addAll(List.of("shared_image_gallery_destination", "shared_image_gallery_replica_count",
                "shared_gallery_image_version_exclude_from_latest", "shared_gallery_image_version_end_of_life_date"));
        Map<String, Val> g = Functions.entries(s.attrs.get("shared_image_gallery_destination"));
        StringBuilder args = new StringBuilder(g.getOrDefault("gallery_name", new Val.Lit("")).groovy()
                + ", image: " + g.getOrDefault("image_name", new Val.Lit("")).groovy()
                + ", version: " + g.getOrDefault("image_version", new Val.Lit("")).groovy());
        if (g.containsKey("resource_group")) {
            args.append(", resourceGroup: ").append(g.get("resource_group").groovy());
        }
        Val regions = g.get("replication_regions");
        if (regions != null) {
            if (has("shared_image_gallery_replica_count") && regions instanceof Val.Lst list) {
                List<String> pairs = new ArrayList<>();
                list.items().forEach(r -> pairs.add("(" + r.groovy() + "): " + val("shared_image_gallery_replica_count")));
                args.append(", regions: [").append(String.join(", ", pairs)).append(']');
            } else {
                args.append(", regions: ").append(regions.groovy());
            }
        }
        if (g.containsKey("storage_account_type")) {
            args.append(", storageType: ").append(g.get("storage_account_type").groovy());
        }
        if (has("shared_gallery_image_version_exclude_from_latest")) {
            args.append(", excludeFromLatest: ").append(val("shared_gallery_image_version_exclude_from_latest"));
        }
        if (has("shared_gallery_image_version_end_of_life_date")) {
            args.append(", endOfLife: ").append(val("shared_gallery_image_version_end_of_life_date"));
        }
        if (g.containsKey("subscription")) {
            args.append(", subscription: ").append(g.get("subscription").groovy());
        }
        set("gallery", args.toString());
    }

    private void file(String option, String keyword) {
        if (has(option)) {
            Val p = w.path(s.attrs.get(option), option, s.loc(option), 1);
            set(keyword, p);
            done.add(option);
        }
    }

    private String number(Val v) {
        String text = v.text();
        return text != null && text.matches("\\d+") ? text : v.groovy();
    }

    private void simple(String option, String keyword) {
        if (has(option)) {
            Val v = s.attrs.get(option);
            set(keyword, v instanceof Val.Lst l && !l.items().isEmpty()
                    ? String.join(", ", l.items().stream().map(Val::groovy).toList()) : v.groovy());
            done.add(option);
        }
    }

    private void set(String keyword, Val v) {
        set(keyword, v.groovy());
    }

    private void set(String keyword, String args) {
        w.call(1, keyword, args);
    }

    private void todo(String option, String why) {
        w.todo(1, option, s.loc(option.replaceFirst("\\..*", "").replace(" block", "")), why);
    }

    private boolean has(String option) {
        return s.attrs.containsKey(option) && !(s.attrs.get(option) instanceof Val.Lit l && l.value() == null);
    }

    private String text(String option) {
        return has(option) ? s.attrs.get(option).text() : null;
    }

    private String val(String option) {
        return s.attrs.getOrDefault(option, new Val.Lit("")).groovy();
    }
}
