//! Compiles `bpf/svclab_lb.bpf.c` with clang into `$OUT_DIR/svclab_lb.bpf.o`.
//!
//! The BPF program is C rather than Rust because the toolchain here has no rust-src (needed to
//! build Rust for the bpf target). `-g` is not optional: aya reads the `.maps` section through
//! BTF, which clang only emits with debug info.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCE: &str = "bpf/svclab_lb.bpf.c";
const OBJECT: &str = "svclab_lb.bpf.o";
const FIX: &str = "run scripts/setup.sh, or install the Debian packages listed in \
                   EBPF_PACKAGES.txt (apt-get install clang llvm libbpf-dev linux-libc-dev)";

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-env-changed=CLANG");
    if let Err(message) = build() {
        // A panic in build.rs prints the message and fails the build, which is what we want:
        // there is no useful crate without its BPF object.
        panic!("svclab-ebpf: {message}");
    }
}

fn build() -> Result<(), String> {
    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".to_string());
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?);
    let object = out_dir.join(OBJECT);

    if !Path::new("/usr/include/bpf/bpf_helpers.h").exists() {
        return Err(format!(
            "/usr/include/bpf/bpf_helpers.h is missing (Debian package libbpf-dev); {FIX}"
        ));
    }

    let mut cmd = Command::new(&clang);
    cmd.args(["-g", "-O2", "-target", "bpf", "-Wall", "-Werror"]);
    // <linux/bpf.h> includes <asm/types.h>, which Debian keeps under the multiarch directory.
    if let Some(dir) = multiarch_include() {
        cmd.arg(format!("-I{}", dir.display()));
    }
    cmd.args(["-c", SOURCE, "-o"]).arg(&object);

    let output = cmd.output().map_err(|e| {
        format!("could not run `{clang}` to compile {SOURCE} ({e}): clang is required; {FIX}")
    })?;
    if !output.status.success() {
        return Err(format!(
            "`{clang}` failed ({}) compiling {SOURCE}:\n{}\nIf headers are missing: {FIX}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

/// `/usr/include/<arch>-linux-gnu` for the build host, if it exists.
fn multiarch_include() -> Option<PathBuf> {
    let host = env::var("HOST").ok()?;
    let arch = host.split('-').next()?;
    let dir = PathBuf::from(format!("/usr/include/{arch}-linux-gnu"));
    dir.is_dir().then_some(dir)
}
