//! `dmp sandbox serve`: the local DMP (`dmp-sandbox`) as a process, for testers and for a
//! DUI's own QA; stops cleanly on SIGTERM / SIGINT (Ctrl-C).

use std::net::SocketAddr;

use dmp_sandbox::{Fault, SandboxConfig, ServerTls};

use crate::cli::ServeArgs;
use crate::{usage, Fail};

fn address(option: &str, value: &str) -> Result<SocketAddr, Fail> {
    value.parse().map_err(|_| {
        usage(format!(
            "{option} {value}: not an address: give IP:PORT, e.g. 127.0.0.1:8443 (port 0: any free port)"
        ))
    })
}

fn fault(value: &str) -> Result<Fault, Fail> {
    let (name, count) = match value.split_once(':') {
        Some((n, c)) => (
            n,
            c.parse::<u32>().map_err(|_| {
                usage(format!(
                    "--fault {value}: the count after `:` is not a number"
                ))
            })?,
        ),
        None => (value, 1),
    };
    Ok(match name {
        "abort-after-store" => Fault::AbortAfterStore,
        "drop-after-store" => Fault::DropAfterStore { count },
        "drop-mid-response" => Fault::DropMidResponse { count },
        _ => {
            return Err(usage(format!(
                "--fault {value}: one of abort-after-store, drop-after-store[:N], drop-mid-response[:N]"
            )))
        }
    })
}

/// `dmp sandbox serve`: runs until SIGTERM or Ctrl-C.
pub(crate) fn serve(a: &ServeArgs) -> Result<String, Fail> {
    let data = a.data.clone();
    let mut config = SandboxConfig::embedded(data.clone());
    config.listen = address("--listen", &a.listen)?;
    config.ui = a.ui.as_deref().map(|v| address("--ui", v)).transpose()?;
    config.seed_dir = a.seed_data.clone();
    config.seed = !a.no_seed;
    config.seed_documents = config.seed && !a.no_seed_documents;
    config.fault = a.fault.as_deref().map(fault).transpose()?;
    if let (Some(cert), Some(key)) = (&a.cert, &a.key) {
        if a.client_root.is_empty() {
            return Err(usage(
                "sandbox serve --cert needs --client-root ROOT.pem (repeatable): the CAs of \
                 the client certificates to accept",
            ));
        }
        config.tls =
            ServerTls::from_files(cert, key, &a.client_root).map_err(|e| Fail(e.to_string(), 1))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fail(format!("cannot start the sandbox's runtime: {e}"), 1))?;
    let tls_note = if a.cert.is_some() {
        "your certificates"
    } else {
        "test PKI of examples/pki"
    };
    runtime
        .block_on(dmp_sandbox::serve(config, stop_signal(), |a| {
            let mut s = format!(
                "dmp sandbox ready ({tls_note}, data in {})\nservices: {}/si-dmp-server/v2/services\n",
                data.display(),
                a.base_url()
            );
            if let Some(ui) = a.ui_url() {
                s += &format!("ui: {ui}\n");
            }
            crate::out_text(&s);
        }))
        .map_err(|e| Fail(e.to_string(), 1))?;
    Ok("dmp sandbox stopped\n".to_owned())
}

/// Resolves on SIGTERM or SIGINT.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
