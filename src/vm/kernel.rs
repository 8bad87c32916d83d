//! The guest kernel: a Debian cloud kernel package fetched with `apt-get download` into a cache
//! folder, verified against the SHA256 that apt's signed index gives, and unpacked with
//! `dpkg-deb -x` (never installed); or a kernel image and modules folder the user names.

use super::{cmd_output, VmError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Kernel names `--kernel` accepts, and the Debian meta-package each follows (its current
/// dependency is the versioned image package).
pub const KNOWN_KERNELS: [(&str, &str); 2] = [
    ("debian-6.1", "linux-image-cloud-amd64"),
    ("debian-6.12", "linux-image-6.12-cloud-amd64"),
];

/// A kernel ready to boot: its image and its modules folder (`.../lib/modules/<release>`, with
/// `modules.dep`).
#[derive(Debug, Clone)]
pub struct KernelTree {
    pub image: PathBuf,
    pub modules: PathBuf,
    /// `6.1.0-56-cloud-amd64`, or the folder name of a user's modules.
    pub release: String,
    /// `linux-image-6.1.0-56-cloud-amd64 6.1.192-2`, or `user-supplied`.
    pub package: String,
}

/// `debian-6.1` → the package name, or a usage error listing the known names.
pub fn package_for(name: &str) -> Result<&'static str, VmError> {
    KNOWN_KERNELS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, package)| *package)
        .ok_or_else(|| VmError::UnknownKernel {
            name: name.to_string(),
            known: KNOWN_KERNELS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// A user's own kernel: the image must exist and the modules folder must hold `modules.dep`.
pub fn user_supplied(image: &Path, modules: &Path) -> Result<KernelTree, VmError> {
    if !image.is_file() {
        return Err(VmError::UserKernel(format!(
            "kernel image {} not found",
            image.display()
        )));
    }
    if !modules.join("modules.dep").is_file() {
        return Err(VmError::UserKernel(format!(
            "{} has no modules.dep; run `depmod -b <root> <release>` for that tree first",
            modules.display()
        )));
    }
    let release = modules
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(KernelTree {
        image: image.to_path_buf(),
        modules: modules.to_path_buf(),
        release,
        package: "user-supplied".into(),
    })
}

/// Fetch (or reuse from `cache`) the named Debian kernel, verify it, unpack it, run depmod.
pub fn debian(name: &str, cache: &Path) -> Result<KernelTree, VmError> {
    let meta = package_for(name)?;
    let package = match resolve_meta(meta) {
        Ok(p) => p,
        Err(_) => {
            // A fresh machine may have no package lists yet: refresh once, then ask again.
            eprintln!("lab VM: {meta} unknown to apt; running apt-get update once");
            cmd_output(
                Command::new("apt-get").args(["update", "-qq"]),
                "apt-get update",
            )?;
            resolve_meta(meta)?
        }
    };
    let (version, sha256) = candidate(&package)?;
    let dir = cache.join("kernels").join(format!("{package}_{version}"));
    std::fs::create_dir_all(&dir).map_err(|e| VmError::io("creating", &dir, e))?;
    // Two lab VMs starting at once must not download and unpack into the same folder together;
    // the lock is held until this function returns (the file closes).
    let lock_path = dir.join("lock");
    let lock_file =
        std::fs::File::create(&lock_path).map_err(|e| VmError::io("creating", &lock_path, e))?;
    let _lock = nix::fcntl::Flock::lock(lock_file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, errno)| VmError::io("locking", &lock_path, errno.into()))?;
    let deb = dir.join("package.deb");
    let root = dir.join("root");
    let stamp = dir.join("verified");
    let reuse = std::fs::read_to_string(&stamp).is_ok_and(|s| s.trim() == sha256)
        && sha256_file(&deb).is_ok_and(|h| h == sha256);
    if !reuse {
        eprintln!(
            "lab VM: downloading {package} {version} into {}",
            dir.display()
        );
        download(&package, &version, &dir, &deb)?;
        let got = sha256_file(&deb).map_err(|e| VmError::io("reading", &deb, e))?;
        if got != sha256 {
            return Err(VmError::Kernel(format!(
                "{} has SHA256 {got}, but apt's index says {sha256}; delete {} and retry",
                deb.display(),
                dir.display()
            )));
        }
        if root.exists() {
            std::fs::remove_dir_all(&root).map_err(|e| VmError::io("removing", &root, e))?;
        }
        cmd_output(
            Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root),
            "dpkg-deb -x (unpacking the kernel package)",
        )?;
    }
    let release = package
        .strip_prefix("linux-image-")
        .unwrap_or(&package)
        .to_string();
    let modules = root.join("lib/modules").join(&release);
    let image = root.join("boot").join(format!("vmlinuz-{release}"));
    if !image.is_file() || !modules.is_dir() {
        return Err(VmError::Kernel(format!(
            "{package} unpacked into {} has no boot/vmlinuz-{release} or lib/modules/{release}",
            root.display()
        )));
    }
    if !reuse || !modules.join("modules.dep").is_file() {
        // Debian builds modules.dep at install time; we never install, so build it here.
        cmd_output(
            Command::new("depmod").arg("-b").arg(&root).arg(&release),
            "depmod on the unpacked kernel",
        )?;
        std::fs::write(&stamp, &sha256).map_err(|e| VmError::io("writing", &stamp, e))?;
    }
    Ok(KernelTree {
        image,
        modules,
        release,
        package: format!("{package} {version}"),
    })
}

/// The versioned image package a meta-package currently depends on.
fn resolve_meta(meta: &str) -> Result<String, VmError> {
    let out = cmd_output(
        Command::new("apt-cache").args(["depends", meta]),
        "apt-cache depends",
    )?;
    parse_depends(&out).ok_or_else(|| {
        VmError::Kernel(format!(
            "apt-cache depends {meta} names no linux-image package"
        ))
    })
}

fn parse_depends(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends:"))
        .map(str::trim)
        .find(|p| p.starts_with("linux-image-"))
        .map(str::to_string)
}

/// The candidate version of `package` and the SHA256 apt's (signed) index lists for it.
fn candidate(package: &str) -> Result<(String, String), VmError> {
    let out = cmd_output(
        Command::new("apt-cache").args(["show", "--no-all-versions", package]),
        "apt-cache show",
    )?;
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    match (field("Version:"), field("SHA256:")) {
        (Some(v), Some(h)) => Ok((v, h)),
        _ => Err(VmError::Kernel(format!(
            "apt-cache show {package} gives no Version or SHA256"
        ))),
    }
}

fn download(package: &str, version: &str, dir: &Path, deb: &Path) -> Result<(), VmError> {
    cmd_output(
        Command::new("apt-get")
            .args(["download", "-qq", &format!("{package}={version}")])
            // Root downloads into a folder `_apt` cannot write: allow it rather than warn.
            .args(["-o", "APT::Sandbox::User=root"])
            .current_dir(dir),
        "apt-get download (the kernel package)",
    )?;
    let fetched = std::fs::read_dir(dir)
        .map_err(|e| VmError::io("listing", dir, e))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "deb")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(package))
        })
        .ok_or_else(|| {
            VmError::Kernel(format!(
                "apt-get download left no .deb in {}",
                dir.display()
            ))
        })?;
    std::fs::rename(&fetched, deb).map_err(|e| VmError::io("renaming", &fetched, e))
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_package_dependency_is_found() {
        let text = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n";
        assert_eq!(
            parse_depends(text).as_deref(),
            Some("linux-image-6.1.0-56-cloud-amd64")
        );
        assert_eq!(parse_depends("x\n  Recommends: y\n"), None);
    }

    #[test]
    fn unknown_kernel_lists_the_known_ones() {
        let err = package_for("debian-2.6").expect_err("not a known kernel");
        assert!(err.to_string().contains("debian-6.1, debian-6.12"), "{err}");
        assert_eq!(
            package_for("debian-6.1").ok(),
            Some("linux-image-cloud-amd64")
        );
    }
}
