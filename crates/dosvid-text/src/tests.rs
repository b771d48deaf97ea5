use std::path::Path;

use crate::*;

#[test]
fn normalisation_folds_case_and_apostrophes_and_composes() {
    assert_eq!(normalize("Сім’я ПʼЯТЬ м`ята"), "сім'я п'ять м'ята");
    // й as и + combining breve composes to one letter.
    assert_eq!(normalize("и\u{0306}"), "й");
    let words: Vec<String> = tokens("Дякую!!! 👍 Wi-Fi @kvant_ua https://kvant.ua 2 рази")
        .into_iter()
        .map(|t| format!("{:?}:{}", t.kind, t.text))
        .collect();
    assert_eq!(
        words,
        [
            "Word:дякую",
            "Emoji:👍",
            "Word:wi-fi",
            "Noise:@kvant_ua",
            "Noise:https://kvant.ua",
            "Number:2",
            "Word:рази"
        ]
    );
    // Addresses, mentions and links are noise wherever they stand; words around them are not.
    let words: Vec<String> =
        tokens("Пишіть на (info@kvant.ua), @Kvant або WWW.kvant.ua; who@ what. me@x, Ölçü ШВИДКО")
            .into_iter()
            .map(|t| format!("{:?}:{}", t.kind, t.text))
            .collect();
    assert_eq!(
        words,
        [
            "Word:пишіть",
            "Word:на",
            "Noise:(info@kvant.ua),",
            "Noise:@kvant",
            "Word:або",
            "Noise:www.kvant.ua;",
            "Word:who",
            "Noise:@",
            "Word:what",
            "Word:me",
            "Noise:@x,",
            "Word:ölçü",
            "Word:швидко",
        ]
    );
    // Long Latin words are read eight bytes at a time: capitals and digits are counted across
    // the chunks, and a word ends wherever a chunk's first non-alphanumeric byte is.
    let read: Vec<(String, TokenKind, u32, u32)> =
        tokens("WiFi2GoSUPERfast123,ok 12345678901 abcdefghéijk")
            .into_iter()
            .map(|t| (t.text.into_owned(), t.kind, t.counts.upper, t.counts.chars))
            .collect();
    assert_eq!(
        read,
        [
            ("wifi2gosuperfast123".into(), TokenKind::Word, 8, 19),
            ("ok".into(), TokenKind::Word, 0, 2),
            ("12345678901".into(), TokenKind::Number, 0, 11),
            ("abcdefghéijk".into(), TokenKind::Word, 0, 12),
        ]
    );
}

#[test]
fn languages_of_short_and_mixed_comments() {
    use Language::*;
    for (text, want) in [
        ("Дякую, все чудово", Uk),
        ("Добрий вечір, коли буде доставка?", Uk),
        ("Спасибо, всё отлично", Ru),
        ("Когда будет доставка?", Ru),
        ("как*", Ru),
        ("Thanks, the agent was great", En),
        ("@united thx for update", En),
        ("Оператор не відповідає вже 20 хвилин", Uk),
        ("Оператор не отвечает уже 20 минут", Ru),
        ("Мобільний додаток вилітає після оновлення app", Uk),
        ("👍👍👍", Und),
        ("ok", En),
        ("", Und),
    ] {
        assert_eq!(detect_language(text), want, "{text}");
    }
}

#[test]
fn broken_text_is_flagged_and_real_text_is_not() {
    for (text, want) in [
        ("Ð¿Ñ€Ð¸Ð²ÐµÑ‚, ÐºÐ°Ðº Ð´ÐµÐ»Ð°", Garbage::Mojibake),
        ("РїСЂРёРІРµС‚ РєР°Рє РґРµР»Р°", Garbage::Mojibake),
        (
            "KJIIEHTCBKUM JOCBIZIOM HE 3AJOBOJIEHUN",
            Garbage::LatinLookalikes,
        ),
        ("asdfghjkl", Garbage::KeyboardMashing),
        ("фывапролдж фывапр", Garbage::KeyboardMashing),
        ("qwertyuiop", Garbage::KeyboardMashing),
    ] {
        assert_eq!(garbage(text), Some(want), "{text}");
    }
    for text in [
        "Сім'я задоволена",
        "Сервис ужасный, РЕКОМЕНДУЮ обходить стороной",
        "JFK to LAX, DFW delayed",
        "@united where is my bag? Flight UA 1234",
        "ok",
        "😡😡😡",
        "Сбербанк горите в аду.",
        "WORST AIRLINE EVER",
        "Рік тому все було краще",
        "Ростелеком СССР",
        "Трудности перевода",
    ] {
        assert_eq!(garbage(text), None, "{text}");
    }
}

#[test]
fn labelled_sets_are_recognised_and_none_is_garbage() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    for set in &eval::SETS {
        let Some(pairs) = set.read(&data).unwrap() else {
            println!("skipped: {} is absent", set.file);
            continue;
        };
        let report = eval::evaluate(set, &pairs);
        println!(
            "{}: language {:.4} of {}",
            set.name, report.language_accuracy, report.texts
        );
        assert!(
            report.language_accuracy >= 0.98,
            "{}: {}",
            set.name,
            report.language_accuracy
        );
        assert_eq!(report.garbage, 0, "{}: texts flagged as garbage", set.name);
    }
}

#[test]
fn sentiment_rules() {
    use Label::*;
    for (text, language, want) in [
        ("Все чудово, дякую!", Language::Uk, Positive),
        ("Жахливе обслуговування", Language::Uk, Negative),
        ("Не погано", Language::Uk, Positive),
        ("Не дуже добре", Language::Uk, Negative),
        (
            "Оператор ввічливий, але чекав 40 хвилин, жах",
            Language::Uk,
            Negative,
        ),
        (
            "Ужасно долго, но в итоге помогли, спасибо большое",
            Language::Ru,
            Positive,
        ),
        ("Очень плохо", Language::Ru, Negative),
        ("not bad at all", Language::En, Positive),
        ("Flight delayed again 😡", Language::En, Negative),
        ("Great crew, thanks!", Language::En, Positive),
        ("What time does the gate open?", Language::En, Neutral),
        // A denial inside a phrase, and negative concord, deny once.
        ("Ніколи не виникало ніяких проблем", Language::Uk, Positive),
        ("Знайшов без проблем", Language::Uk, Positive),
        ("Телефон не працює", Language::Uk, Negative),
        ("Все вирішується без складнощів", Language::Uk, Positive),
        ("Сервіс та асортимент на висоті", Language::Uk, Positive),
        ("Никаких проблем не было", Language::Ru, Positive),
        // Mixed comments: a Russian or English word in a Ukrainian comment (and the reverse)
        // is read with its own language's lexicon.
        ("Доставка ужасная", Language::Uk, Negative),
        ("Доставка жахлива", Language::Ru, Negative),
        ("Все дуже good", Language::Uk, Positive),
        ("Всё супер, thanks", Language::Ru, Positive),
        // "жах" has no letter only Ukrainian has: a comment of it reads as Russian.
        ("Жах", Language::Ru, Negative),
        // Short comments as customers write them.
        ("Ок спс", Language::Ru, Positive),
        ("Больше никогда не закажу", Language::Ru, Negative),
        ("Більше ніколи", Language::Uk, Negative),
        ("Маршрутка опоздала на час", Language::Ru, Negative),
        ("Потяг запізнився", Language::Uk, Negative),
    ] {
        assert_eq!(sentiment(text, language).label, want, "{text}");
    }
    // A theme's clause in another language keeps its feeling.
    let mixed: Vec<(String, Label)> = analyze("Доставка ужасная, але персонал чудовий")
        .themes
        .into_iter()
        .map(|m| (m.theme, m.sentiment.label))
        .filter(|(theme, _)| theme == "time.delivery" || theme == "staff")
        .collect();
    assert_eq!(
        mixed,
        [
            ("time.delivery".to_owned(), Negative),
            ("staff".to_owned(), Positive)
        ]
    );
}

#[test]
fn sentiment_on_the_labelled_sets() {
    // The figure each set must not fall below. The issue's targets: airline ≥ 0.60, hotline
    // ≥ 0.80, SentiRuEval ≥ 0.50.
    let floors = [0.60, 0.80, 0.50, 0.50, 0.80, 0.78, 0.68];
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    for (set, floor) in eval::SETS.iter().zip(floors) {
        let Some(pairs) = set.read(&data).unwrap() else {
            println!("skipped: {} is absent", set.file);
            continue;
        };
        let report = eval::evaluate(set, &pairs);
        println!(
            "{}: macro-F1 {:.3} on {} texts",
            set.name, report.macro_f1, report.texts
        );
        assert!(
            report.macro_f1 >= floor,
            "{}: {:.3} fell below {floor}",
            set.name,
            report.macro_f1
        );
    }
}

/// The cross-validated figures (five fixed folds): the lexicon's held-out figure may not fall
/// far from its whole-set one, and a model learned from the other folds' labels must read the
/// held-out texts at least this well.
#[test]
fn cross_validated_figures_hold() {
    let floors = [
        ("airline-tweets", 0.70),
        ("sentirueval-banks", 0.64),
        ("rusentitweet", 0.60),
        ("uci-amazon", 0.84),
    ];
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    for (name, floor) in floors {
        let set = eval::SETS.iter().find(|s| s.name == name).unwrap();
        let Some(pairs) = set.read(&data).unwrap() else {
            println!("skipped: {} is absent", set.file);
            continue;
        };
        let (cv, _) = learn::cross_validate(&pairs, set.labels(), 5);
        let (lexicon_cv, learned_cv) =
            (learn::mean_sd(&cv.lexicon).0, learn::mean_sd(&cv.learned).0);
        let whole = eval::evaluate(set, &pairs).macro_f1;
        println!("{name}: lexicon {lexicon_cv:.3} (whole set {whole:.3}), learned {learned_cv:.3}");
        assert!(
            (whole - lexicon_cv).abs() <= 0.03,
            "{name}: gap {whole:.3} − {lexicon_cv:.3}"
        );
        assert!(
            learned_cv >= floor,
            "{name}: learned {learned_cv:.3} fell below {floor}"
        );
    }
}

#[test]
fn airline_complaint_reasons_agree_with_the_themes_found() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let Some(counts) = eval::airline_theme_agreement(&data).unwrap() else {
        println!("skipped: the airline tweets are absent");
        return;
    };
    let (tweets, agreed) = counts.iter().fold((0, 0), |(t, a), c| (t + c.1, a + c.2));
    let agreement = agreed as f64 / tweets as f64;
    // Measured 0.658 on 3,954 tweets with a reason.
    assert!(agreement >= 0.63, "theme agreement {agreement:.3}");
}

#[test]
fn emotions_in_three_languages() {
    let top = |text: &str| {
        let e = analyze(text).emotions.unwrap();
        let all = [
            ("anger", e.anger),
            ("frustration", e.frustration),
            ("anxiety", e.anxiety),
            ("confusion", e.confusion),
            ("joy", e.joy),
            ("gratitude", e.gratitude),
            ("surprise", e.surprise),
        ];
        let (name, score) = all
            .into_iter()
            .fold(("none", 0.0), |a, b| if b.1 > a.1 { b } else { a });
        (name, score)
    };
    for (text, want) in [
        ("Це ганьба, хамство оператора мене бісить 😡", "anger"),
        ("Знову те саме, я розчарований", "frustration"),
        ("Переживаю, чи повернуть гроші, страшно", "anxiety"),
        ("Не розумію, за що списали гроші???", "confusion"),
        ("Дуже дякую, ви молодці 🙏", "gratitude"),
        ("Я в восторге, всё отлично 😍", "joy"),
        ("Вау, не ожидал, неожиданно быстро", "surprise"),
        ("I'm so confused, why was I charged twice??", "confusion"),
        ("Worried my card was stolen, I'm scared", "anxiety"),
    ] {
        assert_eq!(top(text).0, want, "{text}");
    }
    // A denied emotion does not count; garbage has none, unless it can be read back.
    assert_eq!(
        analyze("Я не злий, просто питаю").emotions.unwrap().anger,
        0.0
    );
    assert!(analyze("asdfghjkl qwertyuiop").emotions.is_none());
    let read_back = analyze("Ð¯ Ð² Ð²Ð¾Ñ\u{81}Ñ\u{82}Ð¾Ñ\u{80}Ð³Ðµ");
    assert_eq!(read_back.repaired.as_deref(), Some("Я в восторге"));
    assert!(read_back.emotions.is_some_and(|e| e.joy > 0.0));
}

/// The themes found in a text, as `key:matched words:clause label`.
fn themes_found(text: &str) -> Vec<String> {
    analyze(text)
        .themes
        .iter()
        .map(|m| {
            format!(
                "{}:{}:{}",
                m.theme,
                &text[m.start..m.end],
                m.sentiment.label.as_str()
            )
        })
        .collect()
}

#[test]
fn themes_are_found_in_each_language_with_the_sentiment_of_their_clause() {
    for (text, want) in [
        (
            "Чекав на лінії 40 хвилин, оператор був дуже ввічливий",
            &[
                "time:Чекав:negative",
                "time.queue:на лінії:negative",
                "staff:оператор:positive",
                "staff.politeness:ввічливий:positive",
            ][..],
        ),
        (
            "Ждал в очереди час, но оператор всё решил",
            &[
                "time:Ждал:negative",
                "time.queue:очереди:negative",
                "staff:оператор:positive",
            ][..],
        ),
        (
            "Great price, but the app keeps crashing after the update",
            &[
                "finance.price:price:positive",
                "quality.digital:app:negative",
                "quality.reliability:crashing:negative",
                "simplicity.information:update:negative",
            ][..],
        ),
        (
            "Списали гроші двічі, поверніть кошти!",
            &[
                "finance.billing:Списали:negative",
                "finance:гроші:negative",
                "finance.refund:поверніть кошти:negative",
                "finance:кошти:negative",
            ][..],
        ),
        ("Все добре", &[][..]),
    ] {
        // The second reading finds the words' patterns in the matcher's memo.
        for _ in 0..2 {
            assert_eq!(themes_found(text), want, "{text}");
        }
    }
}

#[test]
fn the_default_taxonomy_covers_the_loyalty_factors_and_a_bad_one_is_refused() {
    let taxonomy = Taxonomy::default_taxonomy();
    let tops: Vec<&str> = taxonomy
        .themes
        .iter()
        .filter(|t| !t.key.contains('.'))
        .map(|t| t.key.as_str())
        .collect();
    assert_eq!(
        tops,
        [
            "time",
            "simplicity",
            "choice",
            "security",
            "finance",
            "impressions",
            "staff",
            "quality"
        ]
    );
    for theme in &taxonomy.themes {
        for language in ["uk", "ru", "en"] {
            assert!(
                theme.names.contains_key(language),
                "{} {language}",
                theme.key
            );
            assert!(
                theme.patterns.contains_key(language),
                "{} {language}",
                theme.key
            );
        }
    }
    let mut orphan = taxonomy.clone();
    orphan.themes[1].key = "waiting.queue".into();
    let error = orphan.compile().unwrap_err();
    assert_eq!(error.field, "themes[1].key");
    assert!(error.message.contains("parent"), "{}", error.message);
    let mut bad = taxonomy.clone();
    bad.themes[0]
        .patterns
        .insert("en".into(), vec!["wa*it".into()]);
    assert_eq!(bad.compile().unwrap_err().field, "themes[0].patterns.en[0]");
    // Each taxonomy remembers its own patterns of the words it read.
    let esim: Taxonomy = serde_json::from_str(
        r#"{"themes": [{"key": "esim", "patterns": {"uk": ["esim", "активац*"], "en": ["esim"]}}]}"#,
    )
    .unwrap();
    let esim = esim.compile().unwrap();
    for _ in 0..2 {
        for text in ["Активація eSIM не проходить", "eSIM activation fails again"]
        {
            let own: Vec<String> = analyze_with(text, &esim)
                .themes
                .into_iter()
                .map(|m| m.theme)
                .collect();
            assert_eq!(own, ["esim"], "{text}");
            assert!(!analyze(text).theme_keys().contains(&"esim"), "{text}");
        }
    }
}

#[test]
fn a_phrase_no_theme_covers_emerges_when_it_grows() {
    let mut current: Vec<(&str, bool)> =
        vec![("Активація eSIM не проходить третій день", true); 6];
    current.extend(vec![
        ("Нормальний тариф, дякую", false);
        10
    ]);
    let previous = vec!["Нормальний тариф, дякую"; 16];
    let found = emerging(
        current.iter().copied(),
        previous.iter().copied(),
        3,
        20,
        false,
    );
    let top = &found[0];
    assert!(
        ["esim", "активац"]
            .iter()
            .any(|p| top.phrase.starts_with(p)),
        "{found:?}"
    );
    assert_eq!((top.comments, top.previous), (6, 0));
    assert_eq!(top.negative_share, 1.0);
    // 6 of 16 now against (0 + 1) of (16 + 1) before.
    assert!((top.growth - (6.0 / 16.0) / (1.0 / 17.0)).abs() < 1e-9);
    assert!(!top.phrases.is_empty());
    // Named as the comments say it, not as a stem.
    assert!(
        ["eSIM", "Активація"]
            .iter()
            .any(|w| top.label.eq_ignore_ascii_case(w)
                || top.label.to_lowercase() == w.to_lowercase()),
        "{top:?}"
    );
    // A phrase as frequent as before does not emerge.
    assert!(
        !found.iter().any(|p| p.phrase.starts_with("тариф")),
        "{found:?}"
    );

    // Stop words are no phrase, however much they grow; a real new topic is found among them.
    let mut current: Vec<(&str, bool)> =
        vec![("Все так, але термінал знову не працює", true); 12];
    current.extend(vec![("Все так, дякую за все", false); 30]);
    let previous = vec!["Дякую за все"; 40];
    let found = emerging(
        current.iter().copied(),
        previous.iter().copied(),
        3,
        20,
        false,
    );
    for stop in ["все", "так", "але", "знову", "дякую"] {
        assert!(!found.iter().any(|p| p.label == stop), "{stop}: {found:?}");
    }
    assert!(found.iter().any(|p| p.label == "термінал"), "{found:?}");
}

/// Clean paragraphs of our own, in the register OCR'd documents and long comments have.
const CLEAN_UK: [&str; 8] = [
    "Актуальність дослідження зумовлена тим, що механізми управління клієнтським досвідом у банках України досі вивчені недостатньо.",
    "Стаття присвячена аналізу чинників лояльності клієнтів телекомунікаційних компаній у період цифрової трансформації.",
    "Метою роботи є обґрунтування підходів до вимірювання задоволеності клієнтів на кожному етапі їхньої взаємодії з компанією.",
    "Результати опитування показали, що найбільше незадоволення викликає тривале очікування відповіді оператора контакт-центру.",
    "Доставку замовили на понеділок, але кур'єр приїхав лише в четвер і навіть не попередив про запізнення.",
    "Дуже дякую менеджеру за допомогу з поверненням коштів, усе вирішили швидко та ввічливо.",
    "У висновках зазначено, що впровадження системи управління досвідом клієнтів підвищує утримання на кілька відсотків.",
    "Запропоновано методику оцінювання зрілості взаємодії компанії з клієнтами за п'ятьма рівнями.",
];

const CLEAN_RU: [&str; 6] = [
    "Актуальность исследования обусловлена тем, что механизмы управления клиентским опытом в банках изучены недостаточно.",
    "Статья посвящена анализу факторов лояльности клиентов телекоммуникационных компаний в период цифровой трансформации.",
    "Результаты опроса показали, что наибольшее недовольство вызывает долгое ожидание ответа оператора.",
    "Спасибо за помощь, менеджер быстро решил вопрос с возвратом денег и был очень вежлив.",
    "Доставку заказали на понедельник, но курьер приехал только в четверг и даже не предупредил.",
    "В выводах отмечено, что внедрение системы управления клиентским опытом повышает удержание клиентов.",
];

/// Garbles Cyrillic text the way OCR with the wrong language does: upright capitals or italic
/// small letters read as Latin look-alikes, digits and letter pairs, letters without a
/// look-alike left as they are, and (in `mixed`) the case of some letters flipped.
struct Garbler(u64);

impl Garbler {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn ocr(&mut self, text: &str, capitals: bool, mixed: bool) -> String {
        const UPRIGHT: &[(char, &[&str])] = &[
            ('а', &["A"]),
            ('б', &["6"]),
            ('в', &["B", "8"]),
            ('г', &["r"]),
            ('е', &["E"]),
            ('з', &["3"]),
            ('и', &["N", "U"]),
            ('і', &["I"]),
            ('к', &["K"]),
            ('л', &["JI"]),
            ('м', &["M"]),
            ('н', &["H"]),
            ('о', &["O", "0"]),
            ('п', &["n"]),
            ('р', &["P"]),
            ('с', &["C"]),
            ('т', &["T"]),
            ('у', &["Y"]),
            ('х', &["X"]),
            ('ч', &["4"]),
            ('ш', &["III"]),
            ('ы', &["bI"]),
            ('ь', &["b"]),
            ('ю', &["IO"]),
            ('я', &["R"]),
            ('д', &["D"]),
            ('й', &["U"]),
        ];
        const ITALIC: &[(char, &[&str])] = &[
            ('а', &["a"]),
            ('б', &["6"]),
            ('в', &["e", "8"]),
            ('г', &["r"]),
            ('д', &["g"]),
            ('е', &["e"]),
            ('з', &["3"]),
            ('и', &["u"]),
            ('і', &["i"]),
            ('й', &["u"]),
            ('к', &["k"]),
            ('л', &["n", "JI"]),
            ('м', &["m"]),
            ('н', &["n", "H"]),
            ('о', &["o", "0"]),
            ('п', &["n"]),
            ('р', &["p"]),
            ('с', &["c"]),
            ('т', &["m"]),
            ('у', &["y"]),
            ('х', &["x"]),
            ('ч', &["u", "4"]),
            ('ш', &["w", "III"]),
            ('щ', &["w"]),
            ('ь', &["b"]),
            ('ы', &["bI"]),
            ('ю', &["io"]),
            ('я', &["s"]),
        ];
        let table = if capitals { UPRIGHT } else { ITALIC };
        let mut out = String::new();
        for c in text.chars() {
            let lower = c.to_lowercase().next().unwrap_or(c);
            let upper = capitals || c.is_uppercase();
            match table.iter().find(|(k, _)| *k == lower) {
                Some((_, choices)) => {
                    let choice = choices[(self.next() % choices.len() as u64) as usize];
                    for l in choice.chars() {
                        let flip = mixed && self.chance(20);
                        out.push(if upper != flip {
                            l.to_ascii_uppercase()
                        } else {
                            l.to_ascii_lowercase()
                        });
                    }
                }
                None if capitals => out.extend(c.to_uppercase()),
                None => out.push(c),
            }
        }
        out
    }
}

/// The ways an encoding goes wrong on the way in, each as a function of the clean text.
fn mixed_up_encodings(text: &str) -> Vec<(&'static str, String)> {
    let cp1251: Vec<u8> = text
        .chars()
        .map(|c| match c {
            'А'..='я' => 0xC0 + (c as u32 - 'А' as u32) as u8,
            'і' => 0xB3,
            'І' => 0xB2,
            'ї' => 0xBF,
            'є' => 0xBA,
            'ґ' => 0xB4,
            'ё' => 0xB8,
            c if c.is_ascii() => c as u8,
            _ => b'?',
        })
        .collect();
    let latin1 = |bytes: &[u8]| bytes.iter().map(|b| char::from(*b)).collect::<String>();
    let as_cp1251 = |bytes: &[u8]| {
        bytes
            .iter()
            .map(|&b| match b {
                0xC0..=0xFF => char::from_u32('А' as u32 + u32::from(b - 0xC0)).unwrap(),
                0x80..=0xBF => {
                    "ЂЃ‚ѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—\u{98}™љ›њќћџ\u{A0}ЎўЈ¤Ґ¦§Ё©Є«¬\u{AD}®Ї°±Ііґµ¶·ё№є»јЅѕї"
                        .chars()
                        .nth(usize::from(b - 0x80))
                        .unwrap()
                }
                _ => char::from(b),
            })
            .collect::<String>()
    };
    let utf8_as_cp1251 = as_cp1251(text.as_bytes());
    let twice = as_cp1251(utf8_as_cp1251.as_bytes());
    vec![
        ("utf-8 read as windows-1251", utf8_as_cp1251),
        ("utf-8 read as latin-1", latin1(text.as_bytes())),
        ("windows-1251 read as latin-1", latin1(&cp1251)),
        ("utf-8 read as windows-1251 twice", twice),
        (
            "letters lost to ?",
            text.chars()
                .map(|c| if c.is_ascii() { c } else { '?' })
                .collect(),
        ),
    ]
}

/// The clean Cyrillic texts to garble: ours, and the labelled sets' longer ones when present.
fn cyrillic_texts(min_words: usize) -> Vec<String> {
    let mut texts: Vec<String> = CLEAN_UK
        .iter()
        .chain(&CLEAN_RU)
        .map(|t| t.to_string())
        .collect();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    for set in eval::SETS.iter().filter(|s| s.language != Language::En) {
        if let Ok(Some(pairs)) = set.read(&data) {
            texts.extend(
                pairs
                    .into_iter()
                    .map(|(t, _)| t)
                    .filter(|t| {
                        t.split_whitespace().count() >= min_words
                            && !t.contains('@')
                            && !t.contains("http")
                    })
                    .step_by(7)
                    .take(300),
            );
        }
    }
    texts
}

#[test]
fn ocr_and_encoding_garbage_is_caught_and_read_back() {
    let mut garbler = Garbler(0x9E37_79B9_7F4A_7C15);
    // Paragraphs (twelve words or more) and short comments (three to eleven words).
    for (min, max, floor) in [(12, usize::MAX, 0.93), (3, 11, 0.80)] {
        let texts: Vec<String> = cyrillic_texts(min)
            .into_iter()
            .filter(|t| (min..=max).contains(&t.split_whitespace().count()))
            .collect();
        for (capitals, mixed, style) in [
            (true, false, "capitals"),
            (false, false, "italics"),
            (false, true, "mixed case"),
            (true, true, "capitals, mixed case"),
        ] {
            let garbled: Vec<String> = texts
                .iter()
                .map(|t| garbler.ocr(t, capitals, mixed))
                .collect();
            let flagged = garbled
                .iter()
                .filter(|t| garbage(t) == Some(Garbage::LatinLookalikes))
                .count();
            let share = flagged as f64 / garbled.len() as f64;
            println!(
                "OCR {style}, {min}+ words: {flagged} of {} flagged ({share:.3})",
                garbled.len()
            );
            let missed: Vec<&String> = garbled
                .iter()
                .filter(|t| garbage(t).is_none())
                .take(3)
                .collect();
            assert!(
                share >= floor,
                "{style}, {min}+ words: {share:.3}; missed e.g. {missed:?}"
            );
        }
    }
    // Every mix-up is caught; where it can be undone with confidence, it is (most texts).
    let (mut undone, mut tried, mut misread) = (0usize, 0usize, Vec::new());
    for text in cyrillic_texts(3) {
        for (how, broken) in mixed_up_encodings(&text) {
            let analysis = analyze(&broken);
            assert_eq!(
                analysis.garbage.map(|g| g.kind),
                Some(Garbage::Mojibake),
                "{how}: {broken:?}"
            );
            if how == "letters lost to ?" {
                assert_eq!(analysis.repaired, None);
                continue;
            }
            // What Windows-1251 cannot hold (’, –) was lost before a mix-up through it; a
            // letter decoded twice may lose a byte. Nine letters in ten must come back.
            let Some(repaired) = analysis.repaired else {
                tried += 1;
                continue;
            };
            let letters = text.chars().filter(|c| c.is_alphabetic()).count();
            let same = repaired
                .chars()
                .zip(text.chars())
                .filter(|(a, b)| a == b && b.is_alphabetic())
                .count();
            tried += 1;
            if same * 10 >= letters * 9 {
                undone += 1;
            } else {
                misread.push(repaired);
            }
        }
    }
    println!(
        "encodings mixed up: {undone} of {tried} read back, {} read wrong",
        misread.len()
    );
    assert!(undone * 100 >= tried * 95, "{undone} of {tried}");
    assert!(misread.len() * 100 <= tried * 2, "read wrong: {misread:?}");
    // Read back, OCR'd capitals say what the clean text said.
    let read = analyze("ДОСТАВКА 3AПI3HИЛACЬ HA TPИ ДHI, ЖAXЛИBO");
    assert!(read.repaired.is_some(), "{read:?}");
}
