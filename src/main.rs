use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SVCLAB_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match svclab::cli::run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("svclab: error: {error:#}");
            svclab::cli::exit_code(&error)
        }
    }
}
