//! What goes into the initramfs, and writing it: busybox, svclab itself, the tools the backends
//! call with their shared libraries and iptables extensions, the kernel modules the backends need
//! (with dependencies from `modules.dep`), the init script and the command to run.

use super::initramfs::CpioWriter;
use super::kernel::KernelTree;
use super::{cmd_output, VmError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Tools the backends and the environment record call, by name; `true` when a backend needs it.
const TOOLS: [(&str, bool); 9] = [
    ("iptables-legacy", true),
    ("iptables-legacy-restore", true),
    ("iptables-legacy-save", true),
    ("iptables-nft", true),
    ("iptables-nft-restore", true),
    ("iptables-nft-save", true),
    ("ipvsadm", true),
    ("ip", true),
    ("nft", true),
];

/// Where iptables looks for its extensions on Debian (multiarch) and elsewhere.
const XTABLES_DIRS: [&str; 3] = [
    "/usr/lib/x86_64-linux-gnu/xtables",
    "/lib/x86_64-linux-gnu/xtables",
    "/usr/lib/xtables",
];

const PATH_DIRS: [&str; 4] = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File { source: Source, perm: u32 },
    Symlink(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Host(PathBuf),
    Bytes(Vec<u8>),
}

/// Guest path → what is there. Directories are implied by the paths.
#[derive(Debug, Default)]
pub struct Manifest {
    entries: BTreeMap<String, Entry>,
}

impl Manifest {
    pub fn host_file(&mut self, guest: &str, host: &Path, perm: u32) {
        let source = Source::Host(host.to_path_buf());
        self.entries
            .insert(guest.into(), Entry::File { source, perm });
    }

    pub fn bytes(&mut self, guest: &str, data: impl Into<Vec<u8>>, perm: u32) {
        let source = Source::Bytes(data.into());
        self.entries
            .insert(guest.into(), Entry::File { source, perm });
    }

    pub fn symlink(&mut self, guest: &str, target: &str) {
        self.entries
            .insert(guest.into(), Entry::Symlink(target.into()));
    }

    /// Write the archive to `dest`; returns its size in bytes.
    pub fn write(&self, dest: &Path) -> Result<u64, VmError> {
        let file = std::fs::File::create(dest).map_err(|e| VmError::io("creating", dest, e))?;
        let mut cpio = CpioWriter::new(std::io::BufWriter::new(file));
        let werr = |e| VmError::io("writing", dest, e);
        let mut dirs = BTreeSet::new();
        for path in self.entries.keys() {
            let mut p = Path::new(path);
            while let Some(parent) = p.parent().filter(|p| *p != Path::new("/")) {
                dirs.insert(parent.to_string_lossy().into_owned());
                p = parent;
            }
        }
        for dir in [
            "/proc",
            "/sys",
            "/dev",
            "/run",
            "/tmp",
            "/root",
            "/svclab-out",
        ] {
            dirs.insert(dir.into());
        }
        // BTreeSet order puts every parent before its children, as the kernel needs.
        for dir in &dirs {
            cpio.dir(dir, 0o755).map_err(werr)?;
        }
        for (path, entry) in &self.entries {
            match entry {
                Entry::Symlink(target) => cpio.symlink(path, target).map_err(werr)?,
                Entry::File {
                    source: Source::Bytes(b),
                    perm,
                } => cpio.file(path, *perm, b).map_err(werr)?,
                Entry::File {
                    source: Source::Host(h),
                    perm,
                } => {
                    let data = std::fs::read(h).map_err(|e| VmError::io("reading", h, e))?;
                    cpio.file(path, *perm, &data).map_err(werr)?
                }
            }
        }
        let (_, size) = cpio.finish().map_err(werr)?;
        Ok(size)
    }
}

/// Put the lab's runtime into `m`: tools, libraries, extensions, modules, svclab (`svclab_exe`).
/// `programs` are further host executables already in `m` whose libraries must come too.
pub fn add_runtime(
    m: &mut Manifest,
    kernel: &KernelTree,
    svclab_exe: &Path,
    programs: &[PathBuf],
) -> Result<(), VmError> {
    m.host_file("/usr/bin/svclab", svclab_exe, 0o755);
    let mut elves = vec![svclab_exe.to_path_buf()];
    elves.extend_from_slice(programs);
    // The init script's interpreter: /bin/busybox, wherever the host keeps it (merged /usr).
    let busybox = PATH_DIRS
        .iter()
        .map(|d| Path::new(d).join("busybox"))
        .find(|p| p.is_file())
        .ok_or_else(|| VmError::MissingTool {
            tool: "busybox".into(),
            fix: "install Debian's busybox-static (scripts/setup.sh does)".into(),
        })?;
    m.host_file("/bin/busybox", &busybox, 0o755);
    elves.push(busybox);
    for (tool, required) in TOOLS {
        match add_tool(m, tool) {
            Some(real) => elves.push(real),
            None if required => {
                return Err(VmError::MissingTool {
                    tool: tool.into(),
                    fix: "run scripts/setup.sh (it installs the guest's tools too)".into(),
                })
            }
            None => {}
        }
    }
    if let Some(dir) = XTABLES_DIRS.iter().map(Path::new).find(|d| d.is_dir()) {
        let entries = std::fs::read_dir(dir).map_err(|e| VmError::io("listing", dir, e))?;
        for path in entries.flatten().map(|e| e.path()) {
            if path.extension().is_some_and(|x| x == "so") {
                m.host_file(&path.to_string_lossy(), &path, 0o644);
                elves.push(path);
            }
        }
    }
    let ldd = cmd_output(Command::new("ldd").args(&elves), "ldd").or_else(|e| match e {
        // ldd exits 1 when any file is static (busybox-static); its output is still complete.
        VmError::CommandFailed { stdout, .. } => Ok(stdout),
        e => Err(e),
    })?;
    for lib in parse_ldd(&ldd) {
        m.host_file(&lib, Path::new(&lib), 0o755);
    }
    super::modules::add(m, kernel)?;
    m.symlink("/sbin/modprobe", "/bin/busybox");
    m.symlink("/var/run", "/run");
    m.bytes("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0o644);
    m.bytes("/etc/group", "root:x:0:\n", 0o644);
    for etc in ["/etc/protocols", "/etc/services"] {
        if Path::new(etc).is_file() {
            m.host_file(etc, Path::new(etc), 0o644);
        }
    }
    Ok(())
}

/// Add `tool` from the host's PATH at the same guest path, following its symlink chain
/// (`iptables-legacy-restore` → `xtables-legacy-multi`); returns the real file.
fn add_tool(m: &mut Manifest, tool: &str) -> Option<PathBuf> {
    let mut path = PATH_DIRS
        .iter()
        .map(|d| Path::new(d).join(tool))
        .find(|p| p.exists())?;
    for _ in 0..8 {
        match std::fs::read_link(&path) {
            Ok(target) => {
                m.symlink(&path.to_string_lossy(), &target.to_string_lossy());
                path = path.parent().unwrap_or(Path::new("/")).join(target);
            }
            Err(_) => {
                m.host_file(&path.to_string_lossy(), &path, 0o755);
                return Some(path);
            }
        }
    }
    None
}

/// Library paths from `ldd` output: `libc.so.6 => /lib/.../libc.so.6 (0x...)` and the loader
/// line `/lib64/ld-linux-x86-64.so.2 (0x...)`; the vDSO and headers are skipped.
fn parse_ldd(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let path = match line.split_once("=>") {
                Some((_, rest)) => rest.trim(),
                None => line,
            };
            let path = path.split(" (").next()?.trim();
            (path.starts_with('/') && !path.ends_with(':')).then(|| path.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_output_gives_libraries_and_loader() {
        let text = "/usr/bin/svclab:\n\tlinux-vdso.so.1 (0x00007ffd)\n\
            \tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f42)\n\
            \t/lib64/ld-linux-x86-64.so.2 (0x00007f43)\n/bin/busybox:\n\tnot a dynamic executable\n";
        let libs: Vec<_> = parse_ldd(text).into_iter().collect();
        assert_eq!(
            libs,
            [
                "/lib/x86_64-linux-gnu/libgcc_s.so.1",
                "/lib64/ld-linux-x86-64.so.2"
            ]
        );
    }
}
