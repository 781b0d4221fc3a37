//! `tongxin run`: the node daemon. Stops gracefully on SIGTERM or Ctrl-C.

use std::path::Path;

use crate::app::Application;
use crate::config::Config;

pub fn run(config: &Path) -> anyhow::Result<()> {
    // Colour codes only for a person at a terminal: a log file (deploy/local/up, systemd's
    // journal) gets plain text.
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TONGXIN_LOG")
                .unwrap_or_else(|_| "info,lapin=warn".into()),
        )
        .init();
    let cfg = Config::load(config)?;
    if cfg.broker.urls().iter().any(|u| u.starts_with("amqp://")) {
        tracing::warn!(
            "the broker connection is plain AMQP with a password: use amqps:// with certificate login outside development"
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Application::build(cfg)?;
        let stop = app.stopper();
        tokio::spawn(async move {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot listen for SIGTERM");
                        return;
                    }
                };
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            let _ = stop.send(true);
        });
        println!("listening on http://127.0.0.1:{}", app.http_port());
        app.run_until_stopped().await
    })
}
