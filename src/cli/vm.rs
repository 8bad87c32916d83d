//! `svclab vm [options] -- <svclab args>`: run one svclab command in the lab VM, and the lab-VM
//! half of `svclab run --where vm|auto`.

use super::{run::run_id, AccelArg, VmArgs};
use crate::vm::{self, AccelChoice, GuestCommand, KernelChoice, VmError, VmOptions};
use anyhow::Context as _;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};
use svclab_backend::CancelFlag;

pub fn run(args: VmArgs) -> anyhow::Result<ExitCode> {
    let kernel = match (args.kernel_image, args.modules) {
        (Some(image), Some(modules)) => KernelChoice::Files { image, modules },
        _ => KernelChoice::Named(args.kernel),
    };
    let opts = VmOptions {
        kernel,
        memory_mib: args.memory,
        cpus: args.cpus,
        timeout: args.timeout,
        accel: match args.accel {
            AccelArg::Auto => AccelChoice::Auto,
            AccelArg::Kvm => AccelChoice::Kvm,
            AccelArg::Tcg => AccelChoice::Tcg,
        },
        append: args.append,
    };
    let cmd = match args.exec {
        Some(program) => GuestCommand::program(program, args.args, args.out),
        None => vm::for_guest(&args.args, &run_id(SystemTime::now()), |p| p.is_file()),
    };
    run_guest(&opts, &cmd)
}

/// The options `svclab run --where vm|auto` boots with.
pub fn default_options() -> VmOptions {
    VmOptions {
        kernel: KernelChoice::Named(vm::kernel::KNOWN_KERNELS[0].0.to_string()),
        memory_mib: 2048,
        cpus: 2,
        timeout: Duration::from_secs(4 * 3600),
        accel: AccelChoice::Auto,
        append: None,
    }
}

/// Boot, run `cmd`, and turn the outcome into the guest command's exit code.
pub fn run_guest(opts: &VmOptions, cmd: &GuestCommand) -> anyhow::Result<ExitCode> {
    let cancel = CancelFlag::new();
    let flag = cancel.clone();
    ctrlc::set_handler(move || {
        if flag.is_cancelled() {
            // QEMU dies with us (PR_SET_PDEATHSIG).
            std::process::exit(130);
        }
        eprintln!("\nsvclab: interrupted, stopping the lab VM (Ctrl-C again to quit at once)");
        flag.cancel();
    })
    .context("installing the Ctrl-C handler")?;
    match vm::run_in_vm(opts, cmd, &cancel) {
        Ok(outcome) => {
            if let Some(out) = &cmd.host_out {
                eprintln!(
                    "lab VM: {} file(s) back from the guest in {}",
                    outcome.files.len(),
                    out.display()
                );
            }
            Ok(ExitCode::from(u8::try_from(outcome.exit_code).unwrap_or(1)))
        }
        Err(e @ VmError::Interrupted { .. }) => {
            eprintln!("svclab: {e}");
            Ok(ExitCode::from(130))
        }
        Err(e) => Err(e).context("lab VM"),
    }
}
