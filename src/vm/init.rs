//! The guest's `/init` (a busybox shell script) and the command script it runs.
//!
//! Channels: the console (ttyS0) carries the kernel's and the command's output plus the marker
//! lines below; ttyS1 carries the output folder at the end (see `results_transfer`); ttyS2
//! carries a live copy of `results.jsonl` while the command runs (svclab's results writer
//! writes each record there too, between steps), so a guest that dies mid-run still leaves
//! every finished measurement on the host.

/// Printed on the console right before the command starts (boot-to-command time).
pub const START_MARKER: &str = "SVCLAB-START";
/// `SVCLAB-EXIT <code>`: the command ended with this exit code.
pub const EXIT_MARKER: &str = "SVCLAB-EXIT";
/// Printed by a probe boot (kernel command line `svclab.probe`), which runs no command.
pub const PROBE_MARKER: &str = "SVCLAB-PROBE-OK";
/// The guest folder the command writes its output into.
pub const GUEST_OUT: &str = "/svclab-out";

/// The init script. The acceleration comes on the kernel command line (`svclab.accel=tcg`), so
/// one initramfs serves the KVM probe boot and the real one.
pub fn init_script() -> String {
    const MIRROR: &str = crate::results::MIRROR_ENV;
    format!(
        r#"#!/bin/busybox sh
# svclab lab VM init: mount, load modules, run /svclab/command.sh, send results, power off.
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /run
mkdir -p /sys/fs/cgroup /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
accel=none
for word in $(cat /proc/cmdline); do
  case "$word" in svclab.accel=*) accel="${{word#svclab.accel=}}" ;; esac
done
if grep -q svclab.probe /proc/cmdline; then
  echo {PROBE_MARKER}
  poweroff -f
fi
for m in $(cat /svclab/modules); do
  modprobe "$m" || echo "svclab-init: modprobe $m failed"
done
ip link set lo up
mkdir -p {GUEST_OUT}
# Raw output: the host must get the bytes the guest wrote, not CR-LF translated ones.
stty -F /dev/ttyS1 raw -echo -opost 2>/dev/null
stty -F /dev/ttyS2 raw -echo -opost 2>/dev/null
echo {START_MARKER}
# Through a pipe: the console is a terminal, and a progress bar redrawn with CR on it would
# reach the host as one endless line; off a terminal svclab prints one line per step instead.
{{ SVCLAB_IN_VM=1 SVCLAB_VM_ACCEL=$accel {MIRROR}=/dev/ttyS2 sh /svclab/command.sh; echo $? > /run/svclab-code; }} 2>&1 | cat
code=$(cat /run/svclab-code 2>/dev/null || echo 1)
cd {GUEST_OUT} && find . -type f | while read -r f; do
  echo "SVCLAB-FILE $(wc -c < "$f") ${{f#./}}"
  base64 "$f"
  echo "SVCLAB-FILE-END"
done > /dev/ttyS1
echo "SVCLAB-DONE $code" > /dev/ttyS1
echo "{EXIT_MARKER} $code"
poweroff -f
"#
    )
}

/// `exec <program> <args>` with every argument single-quoted for the shell, plus `env` settings.
pub fn command_script(program: &str, args: &[String], env: &[(String, String)]) -> String {
    let mut script = String::from("cd /\n");
    for (key, value) in env {
        script.push_str(&format!("export {key}={}\n", quote(value)));
    }
    script.push_str("exec ");
    script.push_str(&quote(program));
    for arg in args {
        script.push(' ');
        script.push_str(&quote(arg));
    }
    script.push('\n');
    script
}

/// POSIX single quoting: everything literal, a `'` becomes `'\''`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_quoted_literally() {
        let args = vec!["run".to_string(), "it's $HOME".to_string()];
        let env = vec![("SVCLAB_RUN_ID".to_string(), "20261128-010000".to_string())];
        assert_eq!(
            command_script("/usr/bin/svclab", &args, &env),
            "cd /\nexport SVCLAB_RUN_ID='20261128-010000'\n\
             exec '/usr/bin/svclab' 'run' 'it'\\''s $HOME'\n"
        );
    }

    #[test]
    fn init_names_the_acceleration_and_markers() {
        let text = init_script();
        assert!(text.contains("SVCLAB_VM_ACCEL=$accel"));
        assert!(text.contains("echo SVCLAB-START"));
        assert!(text.contains("echo \"SVCLAB-EXIT $code\""));
        assert!(text.starts_with("#!/bin/busybox sh\n"));
    }
}
