//! The model under test: a rule-based intent classifier for a support inbox.

/// The intent of a customer message: `refund`, `shipping` or `other`.
pub fn classify(message: &str) -> &'static str {
    let message = message.to_lowercase();
    if ["refund", "money back", "charged twice"].iter().any(|w| message.contains(w)) {
        "refund"
    } else if ["where is my", "delivery", "tracking", "shipped"].iter().any(|w| message.contains(w)) {
        "shipping"
    } else {
        "other"
    }
}
