//! A usager's stay: from an admission to the discharge that ends it.
//!
//! "Current usagers" (those a deposit plan and the DLU indicator concern) are those whose last
//! stay, at the given time, has no discharge. A usager with no admission recorded is not
//! current: the journal cannot know when the accompaniment began.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use super::facts::{Facts, Usager, UsagerEvent, UsagerEventKind};

/// The last stay of a usager at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stay<'a> {
    /// The usager.
    pub usager: &'a Usager,
    /// The admission that began it.
    pub admitted: DateTime<FixedOffset>,
    /// The discharge that ended it, if any (at or before the given time).
    pub discharged: Option<DateTime<FixedOffset>>,
    /// Every event from the admission to the discharge (or the given time), in time order.
    pub events: Vec<&'a UsagerEvent>,
}

impl Stay<'_> {
    /// Admitted and not discharged.
    pub fn is_current(&self) -> bool {
        self.discharged.is_none()
    }
}

/// The last stay at `now` of every usager of `facts` that was ever admitted, by pseudonym.
/// Events after `now` are ignored; events at the same instant are taken in the order of
/// [`UsagerEventKind`] (an admission before a discharge), so the answer never depends on the
/// order of the facts. A usager listed twice counts once (its first entry).
pub(crate) fn last_stays(facts: &Facts, now: DateTime<FixedOffset>) -> BTreeMap<&str, Stay<'_>> {
    let mut by_usager: BTreeMap<&str, Vec<&UsagerEvent>> = BTreeMap::new();
    for e in facts.events.iter().filter(|e| e.at <= now) {
        by_usager.entry(e.usager.as_str()).or_default().push(e);
    }
    let mut stays = BTreeMap::new();
    for usager in &facts.usagers {
        if stays.contains_key(usager.key.as_str()) {
            continue;
        }
        let Some(events) = by_usager.get_mut(usager.key.as_str()) else {
            continue;
        };
        events.sort_by_key(|e| (e.at, e.kind));
        let mut stay: Option<Stay<'_>> = None;
        for e in events.iter() {
            match (e.kind, stay.as_mut()) {
                (UsagerEventKind::Admission, _) => {
                    stay = Some(Stay {
                        usager,
                        admitted: e.at,
                        discharged: None,
                        events: vec![e],
                    });
                }
                (_, Some(s)) if s.discharged.is_none() => {
                    s.events.push(e);
                    if e.kind == UsagerEventKind::Discharge {
                        s.discharged = Some(e.at);
                    }
                }
                // Before any admission, or after the discharge: outside any stay.
                _ => {}
            }
        }
        if let Some(s) = stay {
            stays.insert(usager.key.as_str(), s);
        }
    }
    stays
}
