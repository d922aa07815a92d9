//! When chat comes faster than a person can read, viewers get a fair sample of it: each tick keeps
//! at most the room's budget of messages, taking senders in turn (a random order each tick) so a
//! few loud senders cannot crowd out everyone else. Staff messages and other events always pass;
//! the controller's console gets everything.

use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::Value;
use std::collections::HashMap;

/// Returns the events a viewer gets and how many chat messages were left out, or `None` when the
/// tick's chat fits in `budget`.
pub fn sample(events: &[Value], budget: usize, rng: &mut impl Rng) -> Option<(Vec<Value>, usize)> {
    let is_viewer_chat = |e: &Value| e["k"] == "chat" && e["user"]["staff"] != true;
    let chats: Vec<usize> = (0..events.len())
        .filter(|i| is_viewer_chat(&events[*i]))
        .collect();
    if chats.len() <= budget {
        return None;
    }
    // Messages per sender, in the order they were sent.
    let mut by_sender: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut senders = Vec::new();
    for &i in &chats {
        let who = events[i]["user"]["id"].as_i64().unwrap_or(-1);
        by_sender
            .entry(who)
            .or_insert_with(|| {
                senders.push(who);
                Vec::new()
            })
            .push(i);
    }
    senders.shuffle(rng);
    let mut keep = vec![false; events.len()];
    let mut kept = 0;
    let mut round = 0;
    while kept < budget {
        let mut any = false;
        for s in &senders {
            if let Some(&i) = by_sender[s].get(round) {
                any = true;
                if kept < budget {
                    keep[i] = true;
                    kept += 1;
                }
            }
        }
        if !any {
            break;
        }
        round += 1;
    }
    let out = events
        .iter()
        .enumerate()
        .filter(|(i, e)| keep[*i] || !is_viewer_chat(e))
        .map(|(_, e)| e.clone())
        .collect();
    Some((out, chats.len() - kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn chat(user: i64, text: &str) -> Value {
        json!({"k": "chat", "user": {"id": user, "staff": false}, "text": text})
    }

    #[test]
    fn under_the_budget_nothing_is_left_out() {
        let events = vec![chat(1, "a"), chat(2, "b")];
        assert!(sample(&events, 3, &mut rand::rng()).is_none());
    }

    #[test]
    fn senders_take_turns_and_other_events_pass() {
        let mut events: Vec<Value> = (0..20).map(|i| chat(1, &format!("spam{i}"))).collect();
        events.push(chat(2, "hello"));
        events.push(chat(3, "hi"));
        events.push(json!({"k": "pin", "product": 9}));
        events.push(json!({"k": "chat", "user": {"id": 7, "staff": true}, "text": "staff"}));
        let (out, dropped) = sample(&events, 3, &mut rand::rng()).unwrap();
        let texts: Vec<&str> = out.iter().filter_map(|e| e["text"].as_str()).collect();
        assert!(
            texts.contains(&"hello") && texts.contains(&"hi"),
            "quiet senders get through: {texts:?}"
        );
        assert!(texts.contains(&"staff"));
        assert_eq!(texts.iter().filter(|t| t.starts_with("spam")).count(), 1);
        assert!(out.iter().any(|e| e["k"] == "pin"));
        assert_eq!(dropped, 22 - 3);
    }

    #[test]
    fn every_sender_is_equally_likely_to_be_heard() {
        let events: Vec<Value> = (0..10).map(|u| chat(u, "x")).collect();
        let mut hits = [0u32; 10];
        let mut rng = rand::rng();
        for _ in 0..10_000 {
            let (out, _) = sample(&events, 2, &mut rng).unwrap();
            for e in out {
                hits[e["user"]["id"].as_i64().unwrap() as usize] += 1;
            }
        }
        for h in hits {
            assert!((1_700..2_300).contains(&h), "{hits:?}");
        }
    }
}
