//! `dmp sandbox serve`: the local DMP (`dmp-sandbox`) as a process, for testers and for a
//! DUI's own QA; stops cleanly on SIGTERM / SIGINT (Ctrl-C).

use std::net::SocketAddr;
use std::path::PathBuf;

use dmp_sandbox::{Fault, SandboxConfig, ServerTls};

use crate::{usage, Fail, Opts};

/// The sample actor profiles name `https://localhost:8443`.
const DEFAULT_LISTEN: &str = "127.0.0.1:8443";
const DEFAULT_DATA: &str = "dmp-sandbox-data";

pub(crate) fn sandbox(args: &[String]) -> Result<String, Fail> {
    let (sub, rest) = args
        .split_first()
        .ok_or_else(|| usage("sandbox needs a subcommand: serve"))?;
    match sub.as_str() {
        "serve" => serve(rest),
        other => Err(usage(format!("unknown sandbox subcommand `{other}`"))),
    }
}

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

fn serve(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(
        args,
        &["--no-seed", "--no-seed-documents"],
        &[
            "--listen",
            "--ui",
            "--data",
            "--seed-data",
            "--cert",
            "--key",
            "--client-root",
            "--fault",
        ],
    )?;
    if let Some(a) = o.positional.first() {
        return Err(usage(format!("sandbox serve: unexpected argument {a}")));
    }
    let data = PathBuf::from(o.value("--data").unwrap_or(DEFAULT_DATA));
    let mut config = SandboxConfig::embedded(data.clone());
    config.listen = address("--listen", o.value("--listen").unwrap_or(DEFAULT_LISTEN))?;
    config.ui = o.value("--ui").map(|v| address("--ui", v)).transpose()?;
    config.seed_dir = o.value("--seed-data").map(PathBuf::from);
    config.seed = !o.flag("--no-seed");
    config.seed_documents = config.seed && !o.flag("--no-seed-documents");
    config.fault = o.value("--fault").map(fault).transpose()?;
    match (o.value("--cert"), o.value("--key")) {
        (Some(cert), Some(key)) => {
            let roots: Vec<PathBuf> = o.all("--client-root").map(PathBuf::from).collect();
            if roots.is_empty() {
                return Err(usage(
                    "sandbox serve --cert needs --client-root ROOT.pem (repeatable): the CAs of \
                     the client certificates to accept",
                ));
            }
            config.tls = ServerTls::from_files(cert.as_ref(), key.as_ref(), &roots)
                .map_err(|e| Fail(e.to_string(), 1))?;
        }
        (None, None) => {}
        _ => return Err(usage("sandbox serve: give --cert and --key together")),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fail(format!("cannot start the sandbox's runtime: {e}"), 1))?;
    let tls_note = if o.value("--cert").is_some() {
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
