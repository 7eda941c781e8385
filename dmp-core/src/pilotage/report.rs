//! The indicators as one self-contained HTML page, in French, with SVG bar charts.
//!
//! The page is meant to be mailed, archived and opened offline on any workstation of the
//! establishment: no script, no external style sheet, font or image, no network. Every text
//! that comes from the facts (roles, DMP codes and texts, the plan's name) is escaped. The
//! same indicators give the same bytes: the only time on the page is the `at` of the
//! indicators.

use std::fmt::Write as _;

use super::indicators::{Indicators, OutcomeCount};

/// Width of a chart, in SVG user units (the page scales it down on narrow screens).
const WIDTH: u32 = 720;

/// The page.
pub fn html(ind: &Indicators) -> String {
    let mut p = String::with_capacity(16 * 1024);
    p.push_str(HEAD);
    p.push_str("<h1>Indicateurs DMP</h1>\n<p class=\"period\">Période : ");
    p.push_str(&period(ind));
    p.push_str(" — état au ");
    escape(
        &mut p,
        &ind.at.format("%d/%m/%Y %H:%M (UTC%:z)").to_string(),
    );
    p.push_str("</p>\n");

    // Key figures.
    p.push_str("<section class=\"figures\">\n");
    figure(&mut p, "dmp-fed", "DMP alimentés", &ind.dmp_fed.to_string());
    figure(
        &mut p,
        "documents",
        "Documents déposés",
        &ind.deposits.accepted.to_string(),
    );
    figure(
        &mut p,
        "replacements",
        "Remplacements",
        &ind.replacements.to_string(),
    );
    figure(
        &mut p,
        "refused",
        "Dépôts refusés",
        &ind.deposits.refused.to_string(),
    );
    figure(
        &mut p,
        "consultations",
        "Consultations",
        &ind.consultations.total.to_string(),
    );
    figure(
        &mut p,
        "dlu",
        &format!("DLU à jour ({})", french_span(&ind.dlu.window.to_string())),
        &format!(
            "{} / {} ({})",
            ind.dlu.up_to_date,
            ind.dlu.current_usagers,
            percent(ind.dlu.share)
        ),
    );
    if let Some(plan) = &ind.plan {
        figure(
            &mut p,
            "plan",
            "Couverture du plan de dépôt",
            &percent(plan.coverage.share),
        );
    }
    p.push_str("</section>\n");

    let by_kind: Vec<(String, u64)> = ind
        .by_kind
        .iter()
        .map(|k| (k.label.to_owned(), k.count))
        .collect();
    section(&mut p, "by-kind", "Documents déposés par type", |p| {
        hbars(p, "Documents déposés par type", &by_kind)
    });
    let by_month: Vec<(String, u64)> = ind
        .by_month
        .iter()
        .map(|m| (m.month.clone(), m.count))
        .collect();
    section(&mut p, "by-month", "Documents déposés par mois", |p| {
        vbars(p, "Documents déposés par mois", &by_month)
    });
    let by_role: Vec<(String, u64)> = ind
        .by_author_role
        .iter()
        .map(|r| (r.role.clone(), r.count))
        .collect();
    section(
        &mut p,
        "by-role",
        "Documents déposés par rôle de l'auteur",
        |p| hbars(p, "Documents déposés par rôle de l'auteur", &by_role),
    );

    section(&mut p, "deposits", "Dépôts par issue", |p| {
        let d = &ind.deposits;
        table(
            p,
            &["Issue", "Nombre"],
            &[
                vec!["Acceptés".into(), d.accepted.to_string()],
                vec!["Refusés".into(), d.refused.to_string()],
                vec!["En attente d'envoi".into(), d.queued.to_string()],
                vec!["Issue inconnue".into(), d.unknown.to_string()],
                vec!["Total".into(), d.total.to_string()],
            ],
        );
    });
    section(&mut p, "refusals", "Refus par code d'erreur du DMP", |p| {
        if ind.refusals.is_empty() {
            p.push_str("<p>Aucun refus sur la période.</p>\n");
            return;
        }
        let rows: Vec<Vec<String>> = ind
            .refusals
            .iter()
            .map(|r| vec![r.code.clone(), r.text.clone(), r.count.to_string()])
            .collect();
        table(p, &["Code", "Message du DMP", "Nombre"], &rows);
    });

    let modes: Vec<(String, u64)> = ind
        .consultations
        .by_mode
        .iter()
        .map(|m| (mode_label(m.mode).to_owned(), m.count))
        .collect();
    section(
        &mut p,
        "consultations",
        "Consultations par mode d'accès",
        |p| {
            hbars(p, "Consultations par mode d'accès", &modes);
            let rows: Vec<Vec<String>> = ind
                .consultations
                .by_mode
                .iter()
                .map(|m| {
                    vec![
                        mode_label(m.mode).to_owned(),
                        outcomes(&m.by_outcome),
                        m.count.to_string(),
                    ]
                })
                .collect();
            table(p, &["Mode d'accès", "Issues", "Nombre"], &rows);
        },
    );

    if let Some(plan) = &ind.plan {
        section(&mut p, "plan", "Plan de dépôt", |p| {
            let c = &plan.coverage;
            p.push_str("<p>Plan : <strong>");
            escape(p, &plan.name);
            p.push_str("</strong></p>\n");
            table(
                p,
                &[
                    "Obligations",
                    "Remplies",
                    "Dans le délai",
                    "En retard",
                    "Couverture",
                ],
                &[vec![
                    c.obligations.to_string(),
                    c.met.to_string(),
                    c.pending.to_string(),
                    c.overdue.to_string(),
                    percent(c.share),
                ]],
            );
        });
    }
    p.push_str(
        "<footer>Calculé par dmp à partir du journal de l'établissement (usagers sous \
         pseudonyme). « Documents déposés » : dépôts acceptés par le DMP ; « DMP alimentés » : \
         usagers distincts ayant au moins un document accepté sur la période.</footer>\n\
         </body>\n</html>\n",
    );
    p
}

const HEAD: &str = "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
<title>Indicateurs DMP</title>\n<style>\n\
body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,Arial,sans-serif;margin:2rem auto;max-width:760px;color:#1b1b35;padding:0 1rem}\n\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd}\n\
.period{color:#555}\n\
.figures{display:flex;flex-wrap:wrap;gap:.8rem;margin-top:1rem}\n\
.figure{border:1px solid #ccd;border-radius:6px;padding:.6rem .9rem;min-width:9rem}\n\
.figure .value{font-size:1.5rem;font-weight:600;color:#000091}.figure .name{font-size:.85rem;color:#444}\n\
svg{max-width:100%;height:auto}svg text{font-size:12px;fill:#1b1b35}svg .bar{fill:#000091}svg .axis{stroke:#999}\n\
table{border-collapse:collapse;margin-top:.6rem}td,th{border:1px solid #ccd;padding:.25rem .6rem;text-align:left}td.n{text-align:right}\n\
footer{margin-top:2rem;font-size:.8rem;color:#555}\n\
</style>\n</head>\n<body>\n";

fn period(ind: &Indicators) -> String {
    let d = |d: Option<chrono::NaiveDate>, open: &str| {
        d.map_or_else(|| open.to_owned(), |d| d.format("%d/%m/%Y").to_string())
    };
    format!(
        "du {} au {}",
        d(ind.from, "premier fait"),
        d(ind.to, "dernier fait")
    )
}

fn figure(p: &mut String, id: &str, name: &str, value: &str) {
    let _ = write!(
        p,
        "<div class=\"figure\" id=\"fig-{id}\"><div class=\"value\">"
    );
    escape(p, value);
    p.push_str("</div><div class=\"name\">");
    escape(p, name);
    p.push_str("</div></div>\n");
}

fn section(p: &mut String, id: &str, title: &str, body: impl FnOnce(&mut String)) {
    let _ = write!(p, "<section id=\"{id}\">\n<h2>");
    escape(p, title);
    p.push_str("</h2>\n");
    body(p);
    p.push_str("</section>\n");
}

/// Horizontal bars: one row per label, the count at the bar's end.
fn hbars(p: &mut String, title: &str, rows: &[(String, u64)]) {
    if rows.is_empty() {
        p.push_str("<p>Aucune donnée sur la période.</p>\n");
        return;
    }
    let label_w: u32 = 300;
    let row_h: u32 = 24;
    let bar_w = WIDTH - label_w - 50;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let n_rows = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let height = row_h.saturating_mul(n_rows).saturating_add(8);
    svg_open(p, title, height);
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = row_h
            .saturating_mul(u32::try_from(i).unwrap_or(u32::MAX))
            .saturating_add(4);
        let w = scale(*n, max, bar_w);
        p.push_str("<g><title>");
        escape(p, label);
        let _ = write!(
            p,
            " : {n}</title><text x=\"{}\" y=\"{}\" text-anchor=\"end\">",
            label_w - 8,
            y + 16
        );
        escape(p, &shorten(label, 44));
        let _ = writeln!(
            p,
            "</text><rect class=\"bar\" x=\"{label_w}\" y=\"{}\" width=\"{w}\" height=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{n}</text></g>",
            y + 3,
            row_h - 6,
            label_w + w + 6,
            y + 16
        );
    }
    p.push_str("</svg>\n");
}

/// Vertical bars: one column per label (months), the count above the bar.
fn vbars(p: &mut String, title: &str, cols: &[(String, u64)]) {
    if cols.is_empty() {
        p.push_str("<p>Aucune donnée sur la période.</p>\n");
        return;
    }
    let chart_h = 200;
    let top = 20;
    let bottom = 50;
    let left: u32 = 10;
    let n_cols = u32::try_from(cols.len()).unwrap_or(u32::MAX);
    let step = ((WIDTH - 2 * left) / n_cols).max(1);
    let bar = (step * 7 / 10).max(1);
    let max = cols.iter().map(|c| c.1).max().unwrap_or(0).max(1);
    let width = step
        .saturating_mul(n_cols)
        .saturating_add(left * 2)
        .max(WIDTH);
    let base = top + chart_h;
    let _ = write!(
        p,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 {width} {}\" \
         width=\"{width}\" height=\"{}\"><title>",
        base + bottom,
        base + bottom
    );
    escape(p, title);
    p.push_str("</title>\n");
    let _ = writeln!(
        p,
        "<line class=\"axis\" x1=\"{left}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\"/>",
        width - left
    );
    for (i, (label, n)) in cols.iter().enumerate() {
        let x = step
            .saturating_mul(u32::try_from(i).unwrap_or(u32::MAX))
            .saturating_add(left + (step - bar) / 2);
        let h = scale(*n, max, chart_h);
        let cx = x + bar / 2;
        p.push_str("<g><title>");
        escape(p, label);
        let _ = write!(
            p,
            " : {n}</title><rect class=\"bar\" x=\"{x}\" y=\"{}\" width=\"{bar}\" height=\"{h}\"/>\
             <text x=\"{cx}\" y=\"{}\" text-anchor=\"middle\">{n}</text>\
             <text x=\"{cx}\" y=\"{}\" text-anchor=\"end\" transform=\"rotate(-45 {cx} {})\">",
            base - h,
            base - h - 4,
            base + 16,
            base + 16
        );
        escape(p, label);
        p.push_str("</text></g>\n");
    }
    p.push_str("</svg>\n");
}

fn svg_open(p: &mut String, title: &str, height: u32) {
    let _ = write!(
        p,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"{WIDTH}\" height=\"{height}\"><title>"
    );
    escape(p, title);
    p.push_str("</title>\n");
}

fn table(p: &mut String, head: &[&str], rows: &[Vec<String>]) {
    p.push_str("<table>\n<tr>");
    for h in head {
        p.push_str("<th>");
        escape(p, h);
        p.push_str("</th>");
    }
    p.push_str("</tr>\n");
    for row in rows {
        p.push_str("<tr>");
        for cell in row {
            let numeric = !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit());
            p.push_str(if numeric { "<td class=\"n\">" } else { "<td>" });
            escape(p, cell);
            p.push_str("</td>");
        }
        p.push_str("</tr>\n");
    }
    p.push_str("</table>\n");
}

/// `n / max` of `full`, in whole units, at least 1 for a non-zero count (visible).
fn scale(n: u64, max: u64, full: u32) -> u32 {
    if n == 0 {
        return 0;
    }
    let w = u128::from(n) * u128::from(full) / u128::from(max.max(1));
    u32::try_from(w).unwrap_or(full).clamp(1, full)
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

fn outcomes(o: &[OutcomeCount]) -> String {
    o.iter()
        .map(|o| format!("{} : {}", outcome_label(&o.outcome), o.count))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mode_label(mode: &str) -> &str {
    match mode {
        "normal" => "Accès normal",
        "centre_15" => "Centre 15 (régulation)",
        "bris_de_glace" => "Bris de glace",
        other => other,
    }
}

fn outcome_label(outcome: &str) -> &str {
    match outcome {
        "accepted" => "acceptées",
        "refused" => "refusées par le DMP",
        "blocked" => "bloquées avant envoi",
        "failed_before_sending" => "non envoyées",
        "unknown" => "issue inconnue",
        other => other,
    }
}

/// A share as a French percentage ("83,3 %"), "—" when undefined.
fn percent(share: Option<f64>) -> String {
    match share {
        // The share has 4 decimals: a tenth of a percent is exact.
        Some(s) => {
            let tenths = (s * 1000.0).round() as i64;
            format!("{},{} %", tenths / 10, tenths % 10)
        }
        None => "—".to_owned(),
    }
}

fn french_span(s: &str) -> String {
    let mut words = s.splitn(2, ' ');
    let (n, unit) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let unit = match unit {
        "hour" => "heure",
        "hours" => "heures",
        "day" => "jour",
        "days" => "jours",
        "week" => "semaine",
        "weeks" => "semaines",
        "month" | "months" => "mois",
        "year" => "an",
        "years" => "ans",
        other => other,
    };
    format!("{n} {unit}")
}

/// Appends `s` escaped for HTML text and double-quoted attributes.
fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        let mut s = String::new();
        escape(&mut s, "<script>\"a\" & 'b'</script>");
        assert_eq!(
            s,
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn percentages_are_french() {
        assert_eq!(percent(Some(0.8333)), "83,3 %");
        assert_eq!(percent(Some(1.0)), "100,0 %");
        assert_eq!(percent(None), "—");
        assert_eq!(french_span("3 months"), "3 mois");
    }

    #[test]
    fn bars_scale_and_stay_visible() {
        assert_eq!(scale(0, 10, 400), 0);
        assert_eq!(scale(1, 1000, 400), 1);
        assert_eq!(scale(10, 10, 400), 400);
        assert_eq!(scale(5, 10, 400), 200);
    }
}
