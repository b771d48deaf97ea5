//! Emotions in a comment, each scored 0…1: anger, frustration (disappointment), anxiety
//! (worry), confusion, joy (delight), gratitude and surprise — from our word lists in the three
//! languages (matched on Snowball stems), emoji, and punctuation. A negated word ("не злий",
//! "not happy") does not count for its emotion.

use std::sync::OnceLock;

use serde::Serialize;

use crate::language::Language;
use crate::lexicon::Lexicon;
use crate::normalize::{Token, TokenKind};
use crate::stem::Stems;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Emotions {
    pub anger: f32,
    pub frustration: f32,
    pub anxiety: f32,
    pub confusion: f32,
    pub joy: f32,
    pub gratitude: f32,
    pub surprise: f32,
}

/// The emotions in the order of their bits in [`Emotions::felt`] (stored with each record).
pub const EMOTIONS: [&str; 7] = [
    "anger",
    "frustration",
    "anxiety",
    "confusion",
    "joy",
    "gratitude",
    "surprise",
];

/// A score from which an emotion counts as felt: one clear word or emoji (1 / (1 + 1.5)).
const FELT: f32 = 0.4;

impl Emotions {
    fn scores(&self) -> [f32; 7] {
        [
            self.anger,
            self.frustration,
            self.anxiety,
            self.confusion,
            self.joy,
            self.gratitude,
            self.surprise,
        ]
    }

    /// The emotions felt, as bits in the order of [`EMOTIONS`].
    pub fn felt(&self) -> u8 {
        self.scores()
            .iter()
            .enumerate()
            .filter(|(_, s)| **s >= FELT)
            .fold(0, |bits, (i, _)| bits | 1 << i)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Emotion {
    Anger,
    Frustration,
    Anxiety,
    Confusion,
    Joy,
    Gratitude,
    Surprise,
}

use Emotion::*;

pub(crate) const UK: &[(&str, Emotion)] = &[
    ("злий", Anger),
    ("злюся", Anger),
    ("бісить", Anger),
    ("обурений", Anger),
    ("обурення", Anger),
    ("ганьба", Anger),
    ("хамство", Anger),
    ("ненавиджу", Anger),
    ("лють", Anger),
    ("жах", Anger),
    ("шахраї", Anger),
    ("обман", Anger),
    ("розчарований", Frustration),
    ("розчарування", Frustration),
    ("шкода", Frustration),
    ("жаль", Frustration),
    ("набридло", Frustration),
    ("втомився", Frustration),
    ("знову", Frustration),
    ("досі", Frustration),
    ("марно", Frustration),
    ("безрезультатно", Frustration),
    ("хвилююся", Anxiety),
    ("переживаю", Anxiety),
    ("боюся", Anxiety),
    ("страшно", Anxiety),
    ("тривожно", Anxiety),
    ("турбує", Anxiety),
    ("небезпечно", Anxiety),
    ("шахрайство", Anxiety),
    ("незрозуміло", Confusion),
    ("не розумію", Confusion),
    ("чому", Confusion),
    ("як", Confusion),
    ("плутанина", Confusion),
    ("заплутано", Confusion),
    ("незрозумілий", Confusion),
    ("радий", Joy),
    ("рада", Joy),
    ("щасливий", Joy),
    ("чудово", Joy),
    ("супер", Joy),
    ("клас", Joy),
    ("приємно", Joy),
    ("задоволений", Joy),
    ("люблю", Joy),
    ("в захваті", Joy),
    ("ура", Joy),
    ("дякую", Gratitude),
    ("дякуємо", Gratitude),
    ("вдячний", Gratitude),
    ("вдячна", Gratitude),
    ("подяка", Gratitude),
    ("спасибі", Gratitude),
    ("молодці", Gratitude),
    ("несподівано", Surprise),
    ("здивований", Surprise),
    ("здивувало", Surprise),
    ("неочікувано", Surprise),
    ("вау", Surprise),
    ("ого", Surprise),
    ("неймовірно", Surprise),
];

pub(crate) const RU: &[(&str, Emotion)] = &[
    ("злой", Anger),
    ("злюсь", Anger),
    ("бесит", Anger),
    ("возмущен", Anger),
    ("возмущение", Anger),
    ("позор", Anger),
    ("хамство", Anger),
    ("ненавижу", Anger),
    ("ярость", Anger),
    ("ужас", Anger),
    ("мошенники", Anger),
    ("обман", Anger),
    ("достали", Anger),
    ("разочарован", Frustration),
    ("разочарование", Frustration),
    ("жаль", Frustration),
    ("надоело", Frustration),
    ("устал", Frustration),
    ("опять", Frustration),
    ("снова", Frustration),
    ("бесполезно", Frustration),
    ("волнуюсь", Anxiety),
    ("переживаю", Anxiety),
    ("боюсь", Anxiety),
    ("страшно", Anxiety),
    ("тревожно", Anxiety),
    ("беспокоит", Anxiety),
    ("опасно", Anxiety),
    ("мошенничество", Anxiety),
    ("непонятно", Confusion),
    ("не понимаю", Confusion),
    ("почему", Confusion),
    ("как", Confusion),
    ("запутано", Confusion),
    ("непонятный", Confusion),
    ("рад", Joy),
    ("рада", Joy),
    ("счастлив", Joy),
    ("отлично", Joy),
    ("супер", Joy),
    ("класс", Joy),
    ("приятно", Joy),
    ("доволен", Joy),
    ("люблю", Joy),
    ("в восторге", Joy),
    ("ура", Joy),
    ("круто", Joy),
    ("спасибо", Gratitude),
    ("спс", Gratitude),
    ("благодарю", Gratitude),
    ("благодарен", Gratitude),
    ("благодарна", Gratitude),
    ("молодцы", Gratitude),
    ("неожиданно", Surprise),
    ("удивлен", Surprise),
    ("удивило", Surprise),
    ("вау", Surprise),
    ("ого", Surprise),
    ("невероятно", Surprise),
];

pub(crate) const EN: &[(&str, Emotion)] = &[
    ("angry", Anger),
    ("furious", Anger),
    ("outraged", Anger),
    ("hate", Anger),
    ("rude", Anger),
    ("disgusting", Anger),
    ("unacceptable", Anger),
    ("ridiculous", Anger),
    ("mad", Anger),
    ("wtf", Anger),
    ("scam", Anger),
    ("disappointed", Frustration),
    ("disappointing", Frustration),
    ("frustrated", Frustration),
    ("frustrating", Frustration),
    ("again", Frustration),
    ("still", Frustration),
    ("useless", Frustration),
    ("tired", Frustration),
    ("ugh", Frustration),
    ("worried", Anxiety),
    ("worry", Anxiety),
    ("afraid", Anxiety),
    ("scared", Anxiety),
    ("anxious", Anxiety),
    ("nervous", Anxiety),
    ("concerned", Anxiety),
    ("unsafe", Anxiety),
    ("confused", Confusion),
    ("confusing", Confusion),
    ("unclear", Confusion),
    ("why", Confusion),
    ("how", Confusion),
    ("understand", Confusion),
    ("happy", Joy),
    ("glad", Joy),
    ("love", Joy),
    ("great", Joy),
    ("awesome", Joy),
    ("amazing", Joy),
    ("excited", Joy),
    ("delighted", Joy),
    ("yay", Joy),
    ("fantastic", Joy),
    ("thanks", Gratitude),
    ("thank", Gratitude),
    ("thx", Gratitude),
    ("grateful", Gratitude),
    ("appreciate", Gratitude),
    ("kudos", Gratitude),
    ("surprised", Surprise),
    ("unexpected", Surprise),
    ("wow", Surprise),
    ("shocked", Surprise),
    ("unbelievable", Surprise),
    ("omg", Surprise),
];

const EMOJI: &[(&str, Emotion)] = &[
    ("😡", Anger),
    ("😠", Anger),
    ("🤬", Anger),
    ("👿", Anger),
    ("😤", Frustration),
    ("😞", Frustration),
    ("😔", Frustration),
    ("😒", Frustration),
    ("😩", Frustration),
    ("😫", Frustration),
    ("😟", Anxiety),
    ("😰", Anxiety),
    ("😨", Anxiety),
    ("😥", Anxiety),
    ("🤔", Confusion),
    ("😕", Confusion),
    ("🤷", Confusion),
    ("😍", Joy),
    ("😊", Joy),
    ("😀", Joy),
    ("😃", Joy),
    ("😄", Joy),
    ("🎉", Joy),
    ("🥰", Joy),
    ("🙏", Gratitude),
    ("❤", Gratitude),
    ("😮", Surprise),
    ("😲", Surprise),
    ("😱", Surprise),
    ("🤯", Surprise),
];

/// The emotion lexicon of a language. Ukrainian and Russian are often mixed in one comment, so
/// each Cyrillic lexicon holds the other's words too (stemmed its own way), its own standing
/// where both have a word.
pub(crate) fn lexicon(language: Language) -> &'static Lexicon<Emotion> {
    static UK_LEXICON: OnceLock<Lexicon<Emotion>> = OnceLock::new();
    static RU_LEXICON: OnceLock<Lexicon<Emotion>> = OnceLock::new();
    static EN_LEXICON: OnceLock<Lexicon<Emotion>> = OnceLock::new();
    match language {
        Language::Uk => UK_LEXICON.get_or_init(|| Lexicon::new(Language::Uk, RU.iter().chain(UK))),
        Language::Ru => RU_LEXICON.get_or_init(|| Lexicon::new(Language::Ru, UK.iter().chain(RU))),
        Language::En | Language::Und => EN_LEXICON.get_or_init(|| Lexicon::new(Language::En, EN)),
    }
}

/// Emotion scores of a text already split into tokens.
pub(crate) fn emotions_of(
    text: &str,
    tokens: &[Token],
    stems: &Stems,
    language: Language,
) -> Emotions {
    let lexicon = lexicon(language);
    let mut counts = [0.0f32; 7];
    let mut add = |emotion: Emotion, weight: f32| counts[emotion as usize] += weight;
    // The previous word (its token, read for its stem only when it starts a phrase), and
    // whether it starts a phrase.
    let mut previous: (usize, bool) = (0, false);
    let mut phrase_key = String::new();
    let mut negated = false;
    for (i, token) in tokens.iter().enumerate() {
        match token.kind {
            TokenKind::Emoji => {
                if let Some((_, e)) = EMOJI.iter().find(|(e, _)| token.text.starts_with(e)) {
                    add(*e, 1.0);
                }
                continue;
            }
            TokenKind::Word => {}
            _ => continue,
        }
        let facts = stems.facts(i);
        // The same denials as sentiment's ("не", "без", "never", "n't", …).
        if token.class.role == Some(crate::sentiment::Role::Negator) {
            negated = true;
            previous = (i, facts.emotion_phrase());
            continue;
        }
        let phrase = previous
            .1
            .then(|| lexicon.phrase(stems.get(previous.0), stems.get(i), &mut phrase_key))
            .flatten();
        if let Some(e) = phrase.or(facts.emotion()) {
            // "не розумію" is confusion itself; other denied emotions do not count.
            if !negated || phrase.is_some() {
                add(e, 1.0);
            }
        }
        negated = false;
        previous = (i, facts.emotion_phrase());
    }
    let questions = text.matches('?').count() as f32;
    if questions >= 2.0 {
        add(Confusion, 0.5 * questions.min(4.0));
    }
    if text.contains("?!") || text.contains("!?") {
        add(Surprise, 1.0);
    }
    let exclamations = text.matches('!').count();
    if exclamations >= 3 {
        // Many exclamation marks make whatever is felt stronger.
        for c in counts.iter_mut() {
            *c *= 1.3;
        }
    }
    let score = |c: f32| c / (c + 1.5);
    Emotions {
        anger: score(counts[Anger as usize]),
        frustration: score(counts[Frustration as usize]),
        anxiety: score(counts[Anxiety as usize]),
        confusion: score(counts[Confusion as usize]),
        joy: score(counts[Joy as usize]),
        gratitude: score(counts[Gratitude as usize]),
        surprise: score(counts[Surprise as usize]),
    }
}
