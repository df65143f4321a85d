#!/bin/sh
# Starts a private OpenSSH sshd on a free loopback port for the benchmarks, as the dedicated user imagebake-test
# (created if missing; needs root). Prints "PORT DIR" on stdout; stop it with: kill $(cat DIR/sshd.pid)
# SSHD_LOG_LEVEL=DEBUG1 makes DIR/sshd.log name the cipher each connection negotiated ("kex: client->server cipher").
set -eu
user=imagebake-test
if ! id -u "$user" >/dev/null 2>&1; then
    useradd -m -s /bin/sh "$user"
    usermod -p '*' "$user"
fi
dir=$(mktemp -d /tmp/imagebake-bench-sshd-XXXXXX)
chmod 755 "$dir"
ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C imagebake-bench -f "$dir/client"
home=$(getent passwd "$user" | cut -d: -f6)
mkdir -p "$home/.ssh"
cat "$dir/client.pub" >> "$home/.ssh/authorized_keys"
chown -R "$user:$user" "$home/.ssh"; chmod 700 "$home/.ssh"; chmod 600 "$home/.ssh/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$dir/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
AllowUsers $user
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes yes
Subsystem sftp internal-sftp
LogLevel ${SSHD_LOG_LEVEL:-INFO}
CFG
mkdir -p /run/sshd
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
i=0; while ! [ -s "$dir/sshd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
ssh-keyscan -p "$port" 127.0.0.1 2>/dev/null > "$dir/known_hosts"
echo "$port $dir"
