//! The tester's HTML page (`--ui`): patients, their documents and the access log, rendered
//! on the server (every value escaped), plain HTTP GET on a loopback address.

use std::fmt::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::dispatch::Checker;
use crate::store::Store;

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page.
pub(crate) fn page(store: &Store) -> String {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <title>Bac à sable DMP</title></head><body>\n<h1>Bac à sable DMP</h1>\n",
    );
    let patients = store.patients().unwrap_or_default();
    let _ = writeln!(h, "<h2>Patients ({})</h2>", patients.len());
    for p in &patients {
        let _ = writeln!(
            h,
            "<h3>{} {} — INS {} <small>({})</small></h3>",
            escape(&p.family),
            escape(&p.given),
            escape(&p.ins),
            escape(&p.label)
        );
        let docs = store.documents(&p.ins).unwrap_or_default();
        if docs.is_empty() {
            h.push_str("<p>Aucun document.</p>\n");
            continue;
        }
        h.push_str(
            "<table border=\"1\"><tr><th>uniqueId</th><th>type</th><th>titre</th>\
             <th>version</th><th>statut</th><th>visibilité</th></tr>\n",
        );
        for d in &docs {
            let mut vis = Vec::new();
            if d.masque_ps {
                vis.push("masqué aux PS");
            }
            if d.invisible_patient {
                vis.push("invisible au patient");
            }
            if d.invisible_representants_legaux {
                vis.push("invisible aux représentants légaux");
            }
            let vis = if vis.is_empty() {
                "normale".to_owned()
            } else {
                vis.join(", ")
            };
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&d.unique_id),
                escape(&d.type_code),
                escape(&d.title),
                d.version,
                escape(&d.status),
                escape(&vis)
            );
        }
        h.push_str("</table>\n");
    }
    let log = store.access_log().unwrap_or_default();
    let _ = writeln!(h, "<h2>Journal des accès ({})</h2>", log.len());
    h.push_str(
        "<table border=\"1\"><tr><th>date</th><th>qui</th><th>structure</th><th>mode</th>\
         <th>transaction</th><th>patient</th><th>résultat</th><th>bris de glace</th></tr>\n",
    );
    for a in &log {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td></tr>",
            escape(&a.at),
            escape(&a.who),
            escape(&a.structure),
            escape(&a.mode),
            escape(&a.transaction),
            escape(&a.ins),
            escape(&a.outcome),
            if a.bris_de_glace { "oui" } else { "non" }
        );
    }
    h.push_str("</table>\n</body></html>\n");
    h
}

/// Serves the page until `stop` changes.
pub(crate) async fn serve(
    listener: TcpListener,
    checker: Arc<Checker>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let (tcp, _) = tokio::select! {
            _ = stop.changed() => return,
            a = listener.accept() => match a { Ok(a) => a, Err(_) => continue },
        };
        let checker = checker.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let checker = checker.clone();
                async move {
                    let (status, body) = if req.method() != hyper::Method::GET {
                        (StatusCode::METHOD_NOT_ALLOWED, "GET only\n".to_owned())
                    } else if req.uri().path() != "/" {
                        (StatusCode::NOT_FOUND, "the page is at /\n".to_owned())
                    } else {
                        let page = tokio::task::spawn_blocking(move || page(&checker.store))
                            .await
                            .unwrap_or_default();
                        (StatusCode::OK, page)
                    };
                    let mut r = Response::new(Full::new(Bytes::from(body)));
                    *r.status_mut() = status;
                    r.headers_mut().insert(
                        hyper::header::CONTENT_TYPE,
                        hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
                    );
                    Ok::<_, std::convert::Infallible>(r)
                }
            });
            let _ = tokio::time::timeout(
                std::time::Duration::from_secs(30),
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service),
            )
            .await;
        });
    }
}
