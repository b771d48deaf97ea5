//! Reading what customers write, in Ukrainian, Russian and English: normalisation and
//! tokens, the language of a comment, and whether it is readable text at all (garbage: Cyrillic
//! OCR'd into Latin look-alikes, mojibake, keyboard mashing). Pure, no models downloaded: the
//! word lists and rules are ours.

mod garbage;
mod language;
mod normalize;
mod sentiment;

pub use garbage::{Garbage, garbage};
pub use language::{Language, detect_language};
pub use normalize::{Token, TokenKind, normalize, tokens};
pub use sentiment::{Label, Sentiment, sentiment};

#[cfg(test)]
mod tests;
