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

/// The first reply the support inbox sends for a message: chosen by its intent.
pub fn reply(message: &str) -> String {
    match classify(message) {
        "refund" => "Sorry about that. We have started your refund; it reaches your account within 5 days.".to_string(),
        "shipping" => "Your parcel is on its way. You can follow it with the tracking link in your order email.".to_string(),
        _ => "Thanks for writing. A person from our team will answer within a day.".to_string(),
    }
}
