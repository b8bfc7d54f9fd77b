//! `normsctl portal`: parse, read the settings and the environment (portal::Config), bind,
//! start the background pusher (portal::push) and serve (portal::server); print where.

use super::{CommandError, Global, note};
use clap::Args;
use normsctl::portal::{self, Config, server};
use std::sync::Arc;

/// Serve the acknowledgement portal: people without git sign in (through an authenticating
/// reverse proxy, or with a link e-mailed through `remind.smtp`), read what they must
/// acknowledge and acknowledge it; entries go into the same signed ledger as `ack`, signed
/// with the portal's key (`portal.key` in normsctl.yaml; the private key's path in
/// NORMSCTL_PORTAL_KEY), and are pushed to the remote in the background. Leads see their
/// team's outstanding people. Settings: the `portal:` section of normsctl.yaml.
#[derive(Debug, Args)]
pub struct PortalArgs {
    /// The address to listen on (default: `portal.listen`, else 127.0.0.1:8080)
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
}

pub fn run(global: &Global, args: PortalArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let env = |k: &str| std::env::var(k).ok();
    let cfg = Config::load(ws.loc.root.clone(), args.listen.as_deref(), &env)?;
    // The key the handbook line declares must be there before anyone signs in.
    {
        let cx = normsctl::ack::Context::open(&ws)?;
        let line = cx.line()?;
        let settings = normsctl::ack::snapshot::settings_at(cx.repo, line.tip, &cx.layout);
        if settings.portal.key.is_none() {
            return Err(portal::PortalError::NoPortalKey.into());
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CommandError::env(format!("cannot start the server: {e}")))?;
    let log: Arc<dyn Fn(String) + Send + Sync> = Arc::new(|line: String| note(&line));
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .map_err(|e| portal::PortalError::Listen {
                addr: cfg.listen.to_string(),
                reason: e.to_string(),
            })?;
        let bound = listener
            .local_addr()
            .map_err(|e| portal::PortalError::Io(e.to_string()))?;
        let pusher = Arc::new(portal::push::Pusher::default());
        let app = server::App::new(cfg.clone(), bound, Arc::clone(&pusher), Arc::clone(&log))?;
        portal::push::spawn(cfg, pusher, Arc::clone(&log));
        note(&format!(
            "portal listening on http://{bound}/ (links point at {})",
            app.base_url
        ));
        server::serve(app, listener).await
    })?;
    Ok(())
}
