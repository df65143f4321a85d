package dev.imagebake.emulator.vm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The root shell script a machine runs at every boot, in the role of the Azure agent and cloud-init: on the first
 * boot of a VM (its key differs from the one recorded in {@code /var/lib/waagent}) it removes the image's SSH host
 * keys, creates the admin user with its keys and sudo rights, applies the cloud-config subset and starts
 * {@code runcmd} in the background; at every boot it installs the emulator's {@code waagent} and {@code reboot}
 * and makes sure host keys exist. A machine on a specialized OS disk ({@link MachineSpec#specialized()}) skips the
 * first-boot part altogether, as Azure's agent does: it keeps the disk's host keys, users and host name.
 */
final class FirstBoot {
    private FirstBoot() {
    }

    static String script(MachineSpec spec, CloudConfig config) throws IOException {
        StringBuilder s = new StringBuilder();
        s.append("""
                set -e
                umask 022
                mkuser() {
                  # '*' rather than useradd's '!': no password, yet not a locked account for sshd.
                  if ! getent passwd "$1" >/dev/null; then useradd -m -U -p '*' -s "${2:-/bin/bash}" "$1"
                  else usermod -p '*' "$1"; fi
                  home=$(getent passwd "$1" | cut -d: -f6)
                  install -d -m 700 -o "$1" -g "$(id -gn "$1")" "$home/.ssh"
                  touch "$home/.ssh/authorized_keys"
                  chown "$1:$(id -gn "$1")" "$home/.ssh/authorized_keys"
                  chmod 600 "$home/.ssh/authorized_keys"
                }
                addkey() {
                  home=$(getent passwd "$1" | cut -d: -f6)
                  printf '%s' "$2" | base64 -d >> "$home/.ssh/authorized_keys"
                  echo >> "$home/.ssh/authorized_keys"
                }
                put() {
                  mkdir -p "$(dirname "$1")"
                  if [ "$3" = append ]; then printf '%s' "$2" | base64 -d >> "$1"; else printf '%s' "$2" | base64 -d > "$1"; fi
                }
                first=
                """);
        if (!spec.specialized()) {
            // A specialized disk is never provisioned: Azure's agent leaves it as it is.
            provision(s, spec, config);
        }
        // The image's /usr/sbin/reboot is a symlink to systemctl: writing through it would replace systemctl itself.
        s.append("rm -f /usr/sbin/waagent /usr/sbin/reboot\n");
        s.append("put /usr/sbin/waagent ").append(q(resource("waagent"))).append("\nchmod 755 /usr/sbin/waagent\n");
        s.append("put /usr/sbin/reboot ").append(q(resource("reboot"))).append("\nchmod 755 /usr/sbin/reboot\n");
        s.append("""
                if ! ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1; then ssh-keygen -A >/dev/null; fi
                # What a serial console shows at the end of a boot: the host keys' fingerprints (so that a user can
                # check the key SSH offers against the console) and the login prompt.
                echo "SSH host key fingerprints of $(cat /etc/hostname):"
                for key in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -l -f "$key"; done
                echo "$(cat /etc/hostname) login:"
                if [ -n "$first" ]; then
                  setsid /bin/sh -c 'sh /var/lib/cloud/instance/scripts/runcmd 2>&1 \\
                    | tee -a /var/log/cloud-init-output.log; date > /var/lib/cloud/instance/boot-finished' \\
                    </dev/null 2>&1 &
                fi
                """);
        return s.toString();
    }

    /** The first-boot part: runs once per VM (its key is recorded in {@code /var/lib/waagent/provisioned-vm}). */
    private static void provision(StringBuilder s, MachineSpec spec, CloudConfig config) {
        s.append("if [ \"$(cat /var/lib/waagent/provisioned-vm 2>/dev/null)\" != ").append(q(spec.key()))
                .append(" ]; then\n  first=1\n");
        s.append("  rm -f /etc/ssh/ssh_host_*key*\n");
        s.append("  echo ").append(q(spec.computerName())).append(" > /etc/hostname\n");
        s.append("  grep -q ").append(q("[[:space:]]" + spec.computerName() + "$")).append(" /etc/hosts || echo ")
                .append(q("127.0.1.1 " + spec.computerName())).append(" >> /etc/hosts\n");
        s.append("  mkuser ").append(q(spec.adminUser())).append('\n');
        for (String key : spec.authorizedKeys()) {
            s.append("  addkey ").append(q(spec.adminUser())).append(' ').append(q(b64(key))).append('\n');
        }
        s.append("  mkdir -p /etc/sudoers.d /var/lib/waagent\n");
        s.append("  echo ").append(q(spec.adminUser() + " ALL=(ALL) NOPASSWD: ALL"))
                .append(" > /etc/sudoers.d/waagent\n  chmod 440 /etc/sudoers.d/waagent\n");
        s.append("  echo ").append(q(spec.adminUser())).append(" > /var/lib/waagent/provisioned-user\n");
        for (CloudConfig.User user : config.users()) {
            s.append("  mkuser ").append(q(user.name())).append(' ').append(q(user.shell() == null ? ""
                    : user.shell())).append('\n');
            if (user.groups() != null) {
                for (String group : user.groups().split(",")) {
                    s.append("  usermod -a -G ").append(q(group.strip())).append(' ').append(q(user.name()))
                            .append(" 2>/dev/null || true\n");
                }
            }
            for (String key : user.authorizedKeys()) {
                s.append("  addkey ").append(q(user.name())).append(' ').append(q(b64(key))).append('\n');
            }
            for (String rule : user.sudo()) {
                s.append("  echo ").append(q(user.name() + " " + rule)).append(" >> /etc/sudoers.d/90-cloud-init-users\n");
                s.append("  chmod 440 /etc/sudoers.d/90-cloud-init-users\n");
            }
        }
        for (Map.Entry<String, String> key : config.hostKeys().entrySet()) {
            // cloud-init's names: rsa_private, rsa_public, ed25519_private, ...
            String name = key.getKey();
            int cut = name.lastIndexOf('_');
            if (cut < 0) {
                continue;
            }
            String type = name.substring(0, cut);
            boolean isPublic = name.endsWith("_public");
            String path = "/etc/ssh/ssh_host_" + type + "_key" + (isPublic ? ".pub" : "");
            s.append("  put ").append(q(path)).append(' ').append(q(b64(key.getValue().strip() + "\n")))
                    .append("\n  chmod ").append(isPublic ? "644 " : "600 ").append(q(path)).append('\n');
        }
        for (CloudConfig.WriteFile file : config.files()) {
            s.append("  put ").append(q(file.path())).append(' ')
                    .append(q(Base64.getEncoder().encodeToString(file.content()))).append(' ')
                    .append(file.append() ? "append" : "replace").append('\n');
            if (file.permissions() != null) {
                s.append("  chmod ").append(q(file.permissions())).append(' ').append(q(file.path())).append('\n');
            }
            if (file.owner() != null) {
                s.append("  chown ").append(q(file.owner())).append(' ').append(q(file.path())).append('\n');
            }
        }
        s.append("  mkdir -p /var/lib/cloud/instance/scripts\n  rm -f /var/lib/cloud/instance/boot-finished\n");
        s.append("  put /var/lib/cloud/instance/scripts/runcmd ").append(q(b64(runcmd(config.runcmd()))))
                .append('\n');
        s.append("  echo ").append(q(spec.key())).append(" > /var/lib/waagent/provisioned-vm\n");
        s.append("fi\n");
    }

    /** runcmd: a string runs through sh, a list is one command with its arguments (as cloud-init does). */
    private static String runcmd(List<Object> commands) {
        StringBuilder s = new StringBuilder("#!/bin/sh\n");
        for (Object command : commands) {
            if (command instanceof List<?> argv) {
                s.append(String.join(" ", argv.stream().map(a -> q(String.valueOf(a))).toList())).append('\n');
            } else {
                s.append(command).append('\n');
            }
        }
        return s.toString();
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = FirstBoot.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return Base64.getEncoder().encodeToString(in.readAllBytes());
        }
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String q(String text) {
        return Sandbox.quote(text);
    }
}
