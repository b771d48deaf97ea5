//! Sentiment −1…1 with a label, from our lexicons of customer-experience language in Ukrainian,
//! Russian and English (matched on Snowball stems, so that inflected forms count), with the rules
//! that turn words into a judgement: negation ("не погано", "not bad"), intensifiers and
//! softeners, contrast (what follows "але", "но", "but" weighs more), emoji, exclamation marks
//! and capitals.

use std::sync::OnceLock;

use serde::Serialize;

use crate::language::Language;
use crate::lexicon::Lexicon;
use crate::normalize::{Token, TokenKind, tokens_with};
use crate::stem::{Stems, Vocabulary};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    Negative,
    Neutral,
    Positive,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Sentiment {
    /// −1 (very negative) … 1 (very positive).
    pub score: f32,
    pub label: Label,
}

impl Label {
    /// The label of a score (as stored: the comparison is made in f64 everywhere, so that the
    /// label a query filters by is the one the analysis gave).
    pub fn of(score: f64) -> Label {
        if score >= NEUTRAL_BAND {
            Label::Positive
        } else if score <= -NEUTRAL_BAND {
            Label::Negative
        } else {
            Label::Neutral
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Label::Negative => "negative",
            Label::Neutral => "neutral",
            Label::Positive => "positive",
        }
    }
}

/// What a negation weighs when it negates no scored word.
const DANGLING_NEGATION: f32 = -0.7;

/// Scores within this distance of zero are neutral.
pub const NEUTRAL_BAND: f64 = 0.05;

/// Words with their weight (−4 … 4). Forms are stemmed when the lexicon is built.
pub(crate) const UK: &[(&str, f32)] = &[
    // negative
    ("жах", -3.0),
    ("жахливий", -3.0),
    ("жахливо", -3.0),
    ("погано", -2.0),
    ("поганий", -2.0),
    ("гірше", -2.5),
    ("найгірший", -3.5),
    ("огидний", -3.0),
    ("обман", -3.0),
    ("обманули", -3.0),
    ("шахраї", -3.5),
    ("брехня", -3.0),
    ("не рекомендую", -3.0),
    ("розчарований", -2.5),
    ("розчарування", -2.5),
    ("незадоволений", -2.5),
    ("проблема", -1.5),
    ("проблеми", -1.5),
    ("чекав", -1.0),
    ("чекати", -1.0),
    ("довго", -1.5),
    ("затримка", -2.0),
    ("запізнився", -2.0),
    ("запізнилася", -2.0),
    ("запізнення", -2.0),
    ("запізнюється", -2.0),
    ("більше ніколи", -3.5),
    ("ніколи більше", -3.5),
    ("затримали", -2.0),
    ("скасували", -2.0),
    ("зламаний", -2.5),
    ("зламався", -2.5),
    ("брак", -2.5),
    ("бракований", -2.5),
    ("неякісний", -2.5),
    ("грубий", -2.5),
    ("грубо", -2.5),
    ("хамство", -3.0),
    ("ігнорують", -2.5),
    ("ігнор", -2.5),
    ("не відповідають", -2.5),
    ("не працює", -2.5),
    ("помилка", -1.5),
    ("повернення", -0.5),
    ("повернути", -0.5),
    ("втрачено", -2.0),
    ("загубили", -2.5),
    ("тиша", -1.5),
    ("жодної", -1.0),
    ("нікого", -1.0),
    ("дорого", -1.5),
    ("переплата", -2.0),
    ("списали", -2.0),
    ("вимагають", -1.5),
    ("кошмар", -3.0),
    ("ганьба", -3.5),
    ("відмовили", -2.0),
    ("відмова", -2.0),
    ("неприємно", -2.0),
    ("сумно", -2.0),
    ("злий", -2.5),
    ("обурений", -3.0),
    ("незрозуміло", -1.5),
    ("незручно", -2.0),
    ("повільно", -2.0),
    ("безвідповідальність", -3.0),
    ("некомпетентні", -3.0),
    ("не раджу", -3.0),
    ("уникайте", -3.0),
    ("пошкоджений", -2.5),
    ("пошкоджено", -2.5),
    ("не отримав", -2.0),
    ("не доставили", -2.5),
    ("зіпсований", -2.5),
    ("дефект", -2.5),
    ("шум", -1.5),
    ("тріск", -2.0),
    ("пошкодження", -2.5),
    ("жаль", -2.0),
    ("обіцяли", -1.5),
    ("обіцяють", -1.5),
    ("досі", -1.5),
    ("навіщо", -1.0),
    ("звернення", -1.0),
    ("звернувся", -1.0),
    ("скарга", -2.0),
    ("вимагаю", -2.0),
    ("поверніть", -1.5),
    ("ненадійний", -2.5),
    ("відмовляються", -2.5),
    ("не можу", -1.5),
    ("не можна", -1.0),
    ("гарантія", -0.5),
    ("сервісний", -0.5),
    ("ремонт", -1.0),
    ("несправний", -2.5),
    ("несправність", -2.5),
    ("поломка", -2.5),
    ("вимагати", -1.5),
    ("шахрайство", -3.5),
    ("вкрали", -3.0),
    ("гроші", -0.5),
    ("компенсація", -1.5),
    ("відшкодування", -1.5),
    ("затягують", -2.5),
    ("тягнуть", -2.0),
    ("жодного", -1.5),
    ("ніхто", -1.5),
    ("нічого", -1.0),
    ("вже", -0.3),
    ("знову", -1.0),
    ("б/у", -2.0),
    ("вживаний", -1.5),
    ("підробка", -3.0),
    ("фейк", -3.0),
    ("неприйнятний", -3.0),
    ("неприйнятно", -3.0),
    ("відсутня", -1.5),
    ("відсутній", -1.5),
    ("не відповідає", -2.0),
    ("невідповідність", -2.0),
    ("чорний", -0.5),
    ("зникли", -2.0),
    ("нервів", -2.0),
    ("нерви", -2.0),
    ("дякую за увагу", 0.0),
    ("на жаль", -2.5),
    // positive
    ("дякую", 2.0),
    ("дякуємо", 2.0),
    ("вдячний", 2.5),
    ("чудово", 3.0),
    ("чудовий", 3.0),
    ("відмінно", 3.0),
    ("відмінний", 3.0),
    ("добре", 2.0),
    ("добрий", 1.5),
    ("гарний", 2.0),
    ("гарно", 2.0),
    ("супер", 3.0),
    ("класно", 3.0),
    ("рекомендую", 3.0),
    ("задоволений", 2.5),
    ("задоволена", 2.5),
    ("швидко", 1.5),
    ("швидка", 1.5),
    ("зручно", 2.0),
    ("зручний", 2.0),
    ("ввічливий", 2.5),
    ("ввічливо", 2.5),
    ("приємно", 2.5),
    ("приємний", 2.5),
    ("найкращий", 3.5),
    ("кращий", 2.0),
    ("молодці", 3.0),
    ("допомогли", 2.0),
    ("оперативно", 2.5),
    ("якісний", 2.5),
    ("якісно", 2.5),
    ("професійно", 2.5),
    ("вчасно", 2.0),
    ("задоволення", 2.5),
    ("люблю", 3.0),
    ("ідеально", 3.5),
    ("все ок", 2.0),
    ("раджу", 2.5),
    ("щасливий", 3.0),
    ("радий", 2.5),
    ("вдячність", 2.5),
    ("подяка", 2.5),
    ("подякувати", 2.5),
    ("порадували", 3.0),
    ("сподобався", 2.5),
    ("сподобалось", 2.5),
    ("задоволені", 2.5),
    ("уважні", 2.0),
    ("турбота", 2.0),
    ("приємно здивований", 3.0),
    ("без проблем", 2.5),
    ("швидше", 1.5),
    ("надійний", 2.0),
    ("відмінна", 3.0),
    ("чудова", 3.0),
    ("хороший", 2.0),
    ("хороше", 2.0),
    ("топ", 2.5),
    ("рекомендую всім", 3.5),
    ("вирішили", 2.0),
    ("вирішено", 2.0),
    ("оперативна", 2.5),
    ("компетентні", 2.5),
    // how customers praise service in reviews
    ("вищому рівні", 3.0),
    ("на висоті", 3.0),
    ("без питань", 2.0),
    ("без суперечок", 2.0),
    ("все норм", 1.5),
    ("приємно вражений", 3.0),
    ("складнощі", -1.5),
    ("складнощів", -1.5),
    ("високому рівні", 3.0),
    ("чесно", 2.0),
    ("чесний", 2.0),
    ("адекватно", 1.5),
    ("адекватний", 1.5),
    ("справно", 2.0),
    ("на зустріч", 2.0),
    ("ніяких проблем", 2.5),
    ("жодних проблем", 2.5),
    ("ввічливі", 2.5),
    ("привітний", 2.5),
    ("привітні", 2.5),
    ("уважний", 2.0),
    ("оперативність", 2.5),
    ("прекрасно", 3.0),
    ("прекрасний", 3.0),
    ("чудове", 3.0),
    ("відмінне", 3.0),
    ("найкраще", 3.0),
    ("професійний", 2.5),
    ("професіонали", 2.5),
    ("компетентний", 2.5),
    ("вигідно", 2.0),
    ("вигідна", 2.0),
    ("акуратно", 2.0),
    ("широкий асортимент", 2.0),
    ("подобається", 2.0),
    ("сподобалася", 2.5),
    ("вдалий", 2.0),
    ("вдала", 2.0),
    // and how they complain
    ("прикро", -2.0),
    ("прикрих", -2.0),
    ("нахабство", -3.0),
    ("нахабно", -3.0),
    ("відписка", -2.5),
    ("відписуються", -2.5),
    ("не реагують", -2.5),
    ("не реагували", -2.5),
    ("марно", -2.0),
    ("даремно", -2.0),
    ("обманюють", -3.0),
    ("збрехали", -3.0),
    ("погана", -2.0),
    ("погане", -2.0),
    ("жахлива", -3.0),
    ("жахливе", -3.0),
    ("тріщина", -2.0),
    ("подряпина", -2.0),
    ("подряпини", -2.0),
    ("брудні", -2.0),
    ("неадекватно", -2.5),
];

pub(crate) const RU: &[(&str, f32)] = &[
    // negative
    ("ужас", -3.0),
    ("ужасный", -3.0),
    ("ужасно", -3.0),
    ("плохо", -2.0),
    ("плохой", -2.0),
    ("хуже", -2.5),
    ("худший", -3.5),
    ("отвратительный", -3.5),
    ("обман", -3.0),
    ("обманули", -3.0),
    ("мошенники", -3.5),
    ("ложь", -3.0),
    ("не рекомендую", -3.0),
    ("разочарован", -2.5),
    ("разочарование", -2.5),
    ("недоволен", -2.5),
    ("проблема", -1.5),
    ("проблемы", -1.5),
    ("ждать", -1.0),
    ("ждал", -1.0),
    ("долго", -1.5),
    ("задержка", -2.0),
    ("опоздал", -2.0),
    ("опоздала", -2.0),
    ("опоздание", -2.0),
    ("опаздывает", -2.0),
    ("больше никогда", -3.5),
    ("никогда больше", -3.5),
    ("отменили", -2.0),
    ("сломался", -2.5),
    ("брак", -2.5),
    ("грубый", -2.5),
    ("грубо", -2.5),
    ("хамство", -3.0),
    ("хамят", -3.0),
    ("игнорируют", -2.5),
    ("не отвечают", -2.5),
    ("не работает", -2.5),
    ("ошибка", -1.5),
    ("потеряли", -2.5),
    ("дорого", -1.5),
    ("списали", -2.0),
    ("кошмар", -3.0),
    ("позор", -3.5),
    ("отказали", -2.0),
    ("отказ", -2.0),
    ("неприятно", -2.0),
    ("грустно", -2.0),
    ("злой", -2.5),
    ("возмущен", -3.0),
    ("непонятно", -1.5),
    ("неудобно", -2.0),
    ("медленно", -2.0),
    ("некомпетентные", -3.0),
    ("не советую", -3.0),
    ("ненавижу", -3.5),
    ("бесит", -3.0),
    ("достали", -3.0),
    ("отстой", -3.0),
    ("фу", -2.0),
    ("жаль", -1.5),
    ("увы", -1.5),
    ("горите", -3.0),
    ("ад", -3.0),
    ("блокировка", -2.0),
    ("заблокировали", -2.5),
    ("штраф", -2.0),
    ("навязали", -2.5),
    ("навязывают", -2.5),
    ("развод", -3.0),
    ("грабеж", -3.5),
    ("воры", -3.5),
    ("кидалово", -3.5),
    ("отключили", -2.0),
    ("сбой", -2.0),
    ("санкции", -1.5),
    ("комиссия", -1.0),
    ("плачу", -1.5),
    ("хреново", -3.0),
    ("дерьмо", -3.5),
    ("сволочи", -3.5),
    ("скучно", -2.0),
    ("устал", -1.5),
    ("больно", -2.0),
    ("страшно", -2.0),
    ("обидно", -2.5),
    ("печально", -2.0),
    ("к сожалению", -2.5),
    ("сожалению", -2.0),
    ("обещали", -1.5),
    ("до сих", -1.0),
    ("жалоба", -2.0),
    ("претензия", -2.0),
    ("требую", -2.0),
    ("верните", -1.5),
    ("вернуть", -1.0),
    ("украли", -3.0),
    ("снимают", -1.5),
    ("сняли", -1.5),
    ("очередь", -1.5),
    ("очереди", -1.5),
    ("отказывают", -2.5),
    ("невозможно", -2.0),
    ("никто", -1.5),
    ("ничего", -1.0),
    ("опять", -1.0),
    ("снова", -0.8),
    ("проблемы с", -1.5),
    ("лох", -2.5),
    ("лохи", -2.5),
    ("кризис", -1.5),
    ("падение", -1.5),
    ("упал", -1.0),
    ("убыток", -2.0),
    ("долг", -1.5),
    ("долги", -1.5),
    ("просрочка", -2.0),
    ("коллекторы", -2.5),
    ("банкротство", -3.0),
    ("отозвали", -2.5),
    ("лицензию", -0.5),
    ("обвал", -2.5),
    ("дефолт", -2.5),
    ("арест", -2.0),
    ("суд", -1.0),
    ("мошенничество", -3.5),
    // positive
    ("без проблем", 2.5),
    ("никаких проблем", 2.5),
    ("на высоте", 3.0),
    ("без вопросов", 2.0),
    ("спасибо", 2.0),
    ("спс", 2.0),
    ("благодарю", 2.5),
    ("благодарен", 2.5),
    ("отлично", 3.0),
    ("отличный", 3.0),
    ("прекрасно", 3.0),
    ("хорошо", 2.0),
    ("хороший", 2.0),
    ("супер", 3.0),
    ("класс", 3.0),
    ("классно", 3.0),
    ("рекомендую", 3.0),
    ("доволен", 2.5),
    ("довольна", 2.5),
    ("быстро", 1.5),
    ("удобно", 2.0),
    ("удобный", 2.0),
    ("вежливый", 2.5),
    ("вежливо", 2.5),
    ("приятно", 2.5),
    ("лучший", 3.5),
    ("лучше", 2.0),
    ("молодцы", 3.0),
    ("помогли", 2.0),
    ("оперативно", 2.5),
    ("качественно", 2.5),
    ("профессионально", 2.5),
    ("вовремя", 2.0),
    ("люблю", 3.0),
    ("идеально", 3.5),
    ("советую", 2.5),
    ("счастлив", 3.0),
    ("рад", 2.5),
    ("рада", 2.5),
    ("ура", 3.0),
    ("круто", 3.0),
    ("здорово", 3.0),
    ("мило", 2.5),
    ("милый", 2.5),
    ("красиво", 2.5),
    ("красивый", 2.5),
    ("обожаю", 3.5),
    ("поздравляю", 2.5),
    ("восторг", 3.5),
    ("удачи", 2.0),
    ("выгодно", 2.0),
    ("выгодный", 2.0),
    ("надежный", 2.5),
    ("бесплатно", 1.0),
    ("приз", 2.0),
    ("выиграл", 2.5),
    ("победа", 2.5),
    ("лучшая", 3.0),
    ("лучшие", 3.0),
    ("спасибо большое", 3.0),
    ("выгодные", 2.0),
    ("рост", 1.0),
    ("прибыль", 1.5),
    ("бонус", 1.5),
    ("бонусы", 1.5),
    ("кешбэк", 1.0),
    ("подарок", 2.0),
    ("акция", 0.5),
    ("снизил", 0.5),
    ("одобрили", 2.0),
    ("помог", 2.0),
    ("решили", 1.5),
    ("нравится", 2.5),
    ("понравилось", 2.5),
    ("приятный", 2.5),
];

pub(crate) const EN: &[(&str, f32)] = &[
    // negative
    ("terrible", -3.0),
    ("horrible", -3.0),
    ("awful", -3.0),
    ("worst", -3.5),
    ("bad", -2.5),
    ("poor", -2.0),
    ("rude", -3.0),
    ("disappointed", -2.5),
    ("disappointing", -2.5),
    ("frustrated", -2.5),
    ("frustrating", -2.5),
    ("annoyed", -2.5),
    ("annoying", -2.5),
    ("angry", -3.0),
    ("upset", -2.5),
    ("ridiculous", -3.0),
    ("unacceptable", -3.0),
    ("useless", -3.0),
    ("hate", -3.0),
    ("sucks", -3.0),
    ("suck", -3.0),
    ("fail", -2.5),
    ("failed", -2.5),
    ("fails", -2.5),
    ("delayed", -2.0),
    ("delay", -2.0),
    ("delays", -2.0),
    ("cancelled", -2.0),
    ("canceled", -2.0),
    ("lost", -2.0),
    ("stuck", -2.0),
    ("stranded", -2.5),
    ("missed", -1.5),
    ("broken", -2.5),
    ("crash", -2.5),
    ("crashing", -2.5),
    ("freezes", -2.0),
    ("glitch", -2.0),
    ("buggy", -2.5),
    ("waiting", -1.0),
    ("wait", -1.0),
    ("hold", -1.0),
    ("hours", -1.0),
    ("never", -1.5),
    ("nothing", -1.0),
    ("nobody", -1.5),
    ("no one", -1.5),
    ("problem", -1.5),
    ("problems", -1.5),
    ("issue", -1.0),
    ("complaint", -2.0),
    ("worse", -2.5),
    ("mess", -2.5),
    ("joke", -2.0),
    ("pathetic", -3.0),
    ("disgusting", -3.5),
    ("shame", -2.5),
    ("shameful", -3.0),
    ("incompetent", -3.0),
    ("unhelpful", -2.5),
    ("wrong", -2.0),
    ("ugh", -2.5),
    ("seriously", -1.0),
    ("why", -0.5),
    ("sad", -2.0),
    ("mad", -2.5),
    ("furious", -3.5),
    ("lies", -3.0),
    ("lied", -3.0),
    ("nightmare", -3.5),
    ("crap", -3.0),
    ("bs", -2.5),
    ("wtf", -3.0),
    ("fee", -1.0),
    ("fees", -1.0),
    ("charged", -1.5),
    ("overbooked", -2.5),
    ("dirty", -2.5),
    ("late", -1.5),
    ("cold", -1.0),
    ("tired", -1.5),
    ("lack", -2.0),
    ("refund", -0.5),
    ("disconnected", -2.0),
    ("hung", -1.5),
    ("ignored", -2.5),
    ("ignoring", -2.5),
    ("slow", -2.0),
    ("boring", -2.0),
    ("waste", -2.5),
    ("wasted", -2.5),
    ("avoid", -2.5),
    ("dissatisfied", -3.0),
    ("unfortunately", -1.5),
    ("sorry", -0.5),
    ("cheap", -1.0),
    ("junk", -3.0),
    ("stupid", -3.0),
    ("cancellation", -2.0),
    ("rebook", -1.0),
    ("rebooked", -1.0),
    ("bag", -0.3),
    ("luggage", -0.5),
    ("baggage", -0.5),
    ("missing", -2.0),
    ("damaged", -2.5),
    ("hung up", -2.5),
    ("on hold", -2.0),
    ("still", -1.0),
    ("yet", -0.5),
    ("again", -1.0),
    ("ruined", -3.0),
    ("horrendous", -3.5),
    ("worst airline", -4.0),
    ("disgrace", -3.5),
    ("embarrassing", -3.0),
    ("lousy", -3.0),
    ("miserable", -3.0),
    ("inconvenience", -2.0),
    ("cancel", -1.5),
    ("answer", -0.5),
    ("nope", -1.5),
    ("fix", -1.0),
    ("help", -0.3),
    ("hrs", -1.0),
    ("min", -0.3),
    ("mins", -0.5),
    ("minutes", -0.5),
    ("disappointment", -3.0),
    ("unprofessional", -3.0),
    ("ignore", -2.0),
    ("terrible service", -4.0),
    ("customer service", -0.5),
    ("no response", -2.5),
    ("never again", -3.5),
    // positive
    ("thanks", 2.0),
    ("thank", 2.0),
    ("thx", 2.0),
    ("great", 3.0),
    ("awesome", 3.5),
    ("amazing", 3.5),
    ("love", 3.0),
    ("loved", 3.0),
    ("best", 3.0),
    ("excellent", 3.5),
    ("good", 2.0),
    ("nice", 2.0),
    ("helpful", 2.5),
    ("friendly", 2.5),
    ("appreciate", 2.5),
    ("appreciated", 2.5),
    ("perfect", 3.5),
    ("wonderful", 3.5),
    ("happy", 3.0),
    ("glad", 2.5),
    ("kudos", 3.0),
    ("fantastic", 3.5),
    ("smooth", 2.0),
    ("quick", 1.5),
    ("fast", 1.5),
    ("easy", 2.0),
    ("comfortable", 2.0),
    ("pleasant", 2.5),
    ("recommend", 2.5),
    ("impressed", 3.0),
    ("beautiful", 3.0),
    ("fun", 2.0),
    ("cool", 2.0),
    ("enjoy", 2.5),
    ("enjoyed", 2.5),
    ("lovely", 3.0),
    ("superb", 3.5),
    ("outstanding", 3.5),
    ("brilliant", 3.5),
    ("works", 1.5),
    ("worked", 1.5),
    ("well", 1.0),
    ("solid", 2.0),
    ("fine", 1.0),
    ("pleased", 2.5),
    ("satisfied", 2.5),
    ("delicious", 3.0),
    ("favorite", 3.0),
    ("favourite", 3.0),
    ("yay", 3.0),
    ("wow", 2.0),
    ("welcome", 1.5),
    ("safe", 1.5),
    ("on time", 2.0),
    ("ontime", 2.0),
    ("courteous", 2.5),
    ("professional", 2.0),
    ("reliable", 2.5),
    ("worth", 2.0),
    ("exceeded", 3.0),
    ("best ever", 3.5),
    ("thank you", 2.5),
    ("thanks so", 3.0),
    ("sweet", 2.0),
    ("excited", 3.0),
    ("rock", 2.0),
    ("rocks", 2.5),
    ("wonderful crew", 3.5),
    ("got it", 1.0),
    ("finally", 0.5),
    ("luv", 3.0),
    ("thankful", 3.0),
    ("grateful", 3.0),
    ("incredible", 3.0),
    ("upgrade", 1.5),
    ("hero", 3.0),
];

/// What a function word does to the words around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Contrast,
    Negator,
    Intensifier,
    Softener,
    Concord,
}

/// Words of negative concord: "(не було) ніяких проблем" denies once, not twice.
pub(crate) const CONCORD: &[&str] = &[
    "ніяких",
    "жодних",
    "ніякої",
    "жодної",
    "ніякого",
    "жодного",
    "никаких",
    "никакой",
    "никакого",
];

pub(crate) const NEGATORS: &[&str] = &[
    "не",
    "ні",
    "нема",
    "немає",
    "без",
    "нет",
    "ни",
    "not",
    "no",
    "never",
    "without",
    "cannot",
    "hardly",
    "neither",
    "nor",
];
pub(crate) const INTENSIFIERS: &[&str] = &[
    "дуже",
    "надзвичайно",
    "абсолютно",
    "зовсім",
    "геть",
    "занадто",
    "надто",
    "очень",
    "крайне",
    "совсем",
    "слишком",
    "настолько",
    "very",
    "so",
    "really",
    "extremely",
    "totally",
    "absolutely",
    "too",
    "super",
    "completely",
    "incredibly",
    "most",
];
pub(crate) const SOFTENERS: &[&str] = &[
    "трохи",
    "трішки",
    "досить",
    "немного",
    "чуть",
    "довольно",
    "slightly",
    "somewhat",
    "bit",
    "little",
    "kinda",
    "fairly",
];
pub(crate) const CONTRASTS: &[&str] = &[
    "але",
    "однак",
    "проте",
    "зате",
    "но",
    "однако",
    "зато",
    "but",
    "however",
    "though",
    "yet",
];

/// Emoji and emoticons with their weight.
const EMOJI: &[(&str, f32)] = &[
    ("😡", -3.0),
    ("😠", -3.0),
    ("🤬", -3.5),
    ("😤", -2.5),
    ("😞", -2.5),
    ("😢", -2.5),
    ("😭", -2.5),
    ("👎", -3.0),
    ("💩", -3.0),
    ("😒", -2.0),
    ("🙄", -2.0),
    ("😩", -2.5),
    ("😫", -2.5),
    ("😔", -2.0),
    ("☹", -2.5),
    ("🙁", -2.0),
    ("😕", -1.5),
    ("😖", -2.5),
    ("😍", 3.0),
    ("😊", 2.5),
    ("🙂", 1.5),
    ("😀", 2.5),
    ("😃", 2.5),
    ("😄", 2.5),
    ("😁", 2.5),
    ("👍", 2.5),
    ("❤", 3.0),
    ("💕", 3.0),
    ("💗", 3.0),
    ("💖", 3.0),
    ("🙏", 2.0),
    ("👏", 2.5),
    ("🥰", 3.0),
    ("😘", 2.5),
    ("🎉", 2.5),
    ("✨", 1.5),
    ("😂", 1.5),
    ("🤣", 1.5),
    ("😎", 2.0),
];

/// The sentiment lexicon of a language.
pub(crate) fn lexicon(language: Language) -> &'static Lexicon<f32> {
    static UK_LEXICON: OnceLock<Lexicon<f32>> = OnceLock::new();
    static RU_LEXICON: OnceLock<Lexicon<f32>> = OnceLock::new();
    static EN_LEXICON: OnceLock<Lexicon<f32>> = OnceLock::new();
    match language {
        Language::Uk => UK_LEXICON.get_or_init(|| Lexicon::new(Language::Uk, UK)),
        Language::Ru => RU_LEXICON.get_or_init(|| Lexicon::new(Language::Ru, RU)),
        Language::En | Language::Und => EN_LEXICON.get_or_init(|| Lexicon::new(Language::En, EN)),
    }
}

/// The sentiment of a text in a language (see [`crate::detect_language`]).
pub fn sentiment(text: &str, language: Language) -> Sentiment {
    let vocabulary = Vocabulary::read();
    let tokens = tokens_with(text, &vocabulary);
    let stems = Stems::of(&tokens, language, vocabulary);
    let sentiment = sentiment_of(text, &tokens, &stems, language);
    stems.learn(&tokens);
    sentiment
}

/// [`sentiment`] of a text already split into tokens and stemmed.
pub(crate) fn sentiment_of(
    text: &str,
    all: &[Token],
    stems: &Stems,
    language: Language,
) -> Sentiment {
    sentiment_in(text, 0..text.len(), all, stems, 0, language)
}

/// The sentiment of the part `span` of a text, read alone: `tokens` are the text's tokens in it
/// (the first being token `first` of the text, for its stem) — a clause's sentiment without
/// splitting and stemming its words again.
pub(crate) fn sentiment_in(
    text: &str,
    span: std::ops::Range<usize>,
    tokens: &[Token],
    stems: &Stems,
    first: usize,
    language: Language,
) -> Sentiment {
    let lexicon = lexicon(language);
    let body = &text[span.clone()];
    let counts = crate::normalize::Counts::sum(tokens);
    let shouting_text = counts.upper * 10 >= counts.letters.max(1) * 7;
    // (weight, clause index) of each scored token.
    let mut scored: Vec<(f32, usize)> = Vec::new();
    let (mut clause, mut contrast_clause) = (0usize, None);
    let (mut negated, mut boost) = (0usize, 1.0f32);
    // The previous word (its token, read for its stem only when it starts a phrase) and role.
    let (mut previous, mut previous_role): (usize, Option<Role>) = (0, None);
    let mut previous_starts_phrase = false;
    let mut phrase_key = String::new();
    for (i, token) in tokens.iter().enumerate() {
        // A clause read alone starts at its first token: what stood before it is not in it.
        let read_alone = i == 0 && span.start == token.start;
        if !read_alone && token.gap & crate::normalize::PUNCTUATION != 0 {
            clause += 1;
            negated = 0;
            boost = 1.0;
        }
        match token.kind {
            TokenKind::Emoji => {
                let weight = EMOJI
                    .iter()
                    .find(|(e, _)| token.text.starts_with(e))
                    .map(|(_, w)| *w);
                if let Some(w) = weight {
                    scored.push((w, clause));
                }
                continue;
            }
            TokenKind::Word => {}
            _ => continue,
        }
        let word_role = token.class.role;
        if word_role == Some(Role::Contrast) {
            clause += 1;
            contrast_clause = Some(clause);
            negated = 0;
            continue;
        }
        if word_role == Some(Role::Negator) {
            // A denial with nothing to deny ("still no answer", "не відповідають") leans negative.
            scored.push((DANGLING_NEGATION, clause));
            negated = 3;
            // "не працює", "без проблем": phrases that carry their denial start here.
            (previous, previous_role) = (first + i, word_role);
            previous_starts_phrase = stems.facts(first + i).sentiment_phrase();
            continue;
        }
        if word_role == Some(Role::Intensifier) {
            boost = 1.5;
            continue;
        }
        if word_role == Some(Role::Softener) {
            boost = 0.6;
            continue;
        }
        let facts = stems.facts(first + i);
        let phrase = previous_starts_phrase
            .then(|| lexicon.phrase(stems.get(previous), stems.get(first + i), &mut phrase_key))
            .flatten();
        let weight = phrase.or(facts.sentiment());
        let before = previous_role;
        (previous, previous_role) = (first + i, word_role);
        previous_starts_phrase = facts.sentiment_phrase();
        let Some(mut weight) = weight else {
            negated = negated.saturating_sub(1);
            continue;
        };
        // A phrase that denies by itself ("не працює", "без проблем") or by negative concord
        // ("не було ніяких проблем") is not denied again by the negation before it.
        let self_denying =
            phrase.is_some() && matches!(before, Some(Role::Negator | Role::Concord));
        if phrase.is_some() {
            // The phrase replaces what its first word scored.
            if let Some(last) = scored.last_mut() {
                last.0 = 0.0;
            }
        }
        weight *= boost;
        boost = 1.0;
        if negated > 0 {
            // "not bad" is mildly good, "not good" bad; the denial's own lean is replaced.
            if !self_denying {
                weight *= -0.6;
            }
            negated = 0;
            if let Some(denial) = scored
                .iter_mut()
                .rev()
                .find(|(w, _)| *w == DANGLING_NEGATION)
            {
                denial.0 = 0.0;
            }
        }
        if !shouting_text && token.counts.chars > 2 && token.counts.lower == 0 {
            weight *= 1.3;
        }
        scored.push((weight, clause));
    }
    let mut sum: f32 = scored
        .iter()
        .map(|&(w, c)| match contrast_clause {
            Some(after) if c >= after => w * 1.5,
            Some(_) => w * 0.5,
            None => w,
        })
        .sum();
    let exclamations = body.matches('!').count().min(3) as f32;
    sum *= 1.0 + 0.1 * exclamations;
    let score = sum / (sum * sum + 15.0).sqrt();
    Sentiment {
        score,
        label: Label::of(f64::from(score)),
    }
}
