#!/usr/bin/env python3
"""A small lexicon-based sentiment model for evalgate's example suites.

It is deliberately simple: a hand-written list of English sentiment words with
weights, plus a few rules (negation, intensifiers, "but", capitals,
exclamation marks, emoticons, internet slang). Standard library only.

It speaks evalgate's `command` provider protocol `lines`: one JSON request per
line on stdin, {"id": .., "input": .., "prompt": .., "vars": {..}}, and one
JSON line on stdout per request, flushed at once:

    <- {"id": "c1", "input": "I loved it!", "prompt": "..", "vars": {}}

    python3 lexicon.py            # mode "classify" (default)
    -> {"id": "c1", "output": "positive"}

    python3 lexicon.py explain    # mode "explain"
    -> {"id": "c1", "output": "{\"label\": \"positive\", ...}"}

The text classified is the request's `input`; `prompt` and `vars` are ignored.
A line that is not a valid request is answered with {"error": ".."} and the
model goes on with the next line.
"""

import html
import json
import re
import sys

USAGE = "usage: lexicon.py [classify|explain]"

# ---------------------------------------------------------------------------
# Lexicon. Weights run from 1 (faint) to 3 (strong); the sign is the polarity.
# ---------------------------------------------------------------------------

POSITIVE = {
    3.0: """
        love loved loves loving lovin luv adore adored adores amazing amazingly
        awesome excellent fantastic fabulous wonderful wonderfully brilliant
        perfect perfectly outstanding superb incredible magnificent
        spectacular marvelous marvellous terrific phenomenal best beautiful
        gorgeous stunning delighted thrilled ecstatic overjoyed blessed
        exceptional extraordinary masterpiece glorious heavenly breathtaking
        """,
    2.0: """
        good great nice happy happier happiest glad fun enjoy enjoyed enjoying
        enjoys enjoyable pleased cool sweet cute excited exciting yay woohoo
        hooray congrats congratulations thanks thank thankful grateful
        appreciate appreciated proud success successful win wins winning
        winner smile smiles smiling laugh laughing laughed joy joyful cheerful
        lucky fortunate kind friendly helpful pleasant delightful charming
        impressive impressed recommend recommended favorite favourite fave
        yummy delicious tasty lovely beauty hilarious entertaining inspiring
        inspired inspiration talented genius gifted celebrate celebrating
        celebration bless blessing paradise sunshine hug hugs kiss kisses
        xoxo relaxing relaxed peaceful comfortable cozy cosy fresh welcome
        clever smart brave awesomeness amazed excellence victory champion
        champions heaven rocks rocked fab nicely gladly happily elegant
        graceful remarkable superior motivated motivating encouraging
        encouragement supportive healthy generous honored honoured privilege
        adorable triumph satisfied satisfying refreshing thrilling
        fascinating excitement splendid beloved darling enthusiastic eager
        greatest coolest nicest sweetest prettiest funniest flawless ideal
        handsome attractive cheer cheering jolly merry festive relief
        relieved comfort cuddle cuddles snuggle rejoice luckily
        fortunately pleasure pleasing romantic passionate amused amusing
        epic legendary ftw woot bravo hero heroes thrive succeed succeeded
        accomplished achievement achieve
        """,
    1.5: """
        better liked likes funny interesting interested hope hopeful hopes
        hoping hopefully glory praise trust honest promising improved lol
        lmao lmfao rofl haha hahaha hehe yum woo hurrah welcomed kudos cheers
        wow won keen peace passion nicer benefit bonus thx thanx
        """,
    1.0: """
        fine pretty agree support safe easy useful worth worthy valuable
        positive strong calm warm fair gift party holiday vacation sunny
        bright improve improving okay ok alright fortune freedom free care
        caring cares finally ha
        """,
}

NEGATIVE = {
    3.0: """
        hate hated hates hating horrible terrible terribly awful worst
        disgusting disgusted pathetic miserable furious devastated heartbroken
        dreadful atrocious abysmal vile evil nightmare tragic tragedy despise
        loathe murder murdered rape racist asshole douchebag horrendous
        horrific disgrace bullshit motherfucker
        """,
    2.0: """
        bad sad angry mad upset annoying annoyed annoys hurt hurts pain
        painful sick cry crying cried tears depressed depressing depression
        scared afraid fear fears worried worry worrying anxious stress
        stressed stressful fail failed failure fails failing wrong trouble
        broken ruin ruined ruins disappointed disappointing disappointment
        poor worse ugly gross nasty rude cruel selfish jealous lazy useless
        worthless waste wasted fake liar lies lied cheat cheated cheating
        lame crappy shitty unfair violence violent crime criminal dangerous
        threat terror terrorist terrorism disaster crisis catastrophe chaos
        damage damaged destroy destroyed kill killed killing killer injury
        injured cancer disease suffer suffering suffered grief sorrow regret
        enemy hostile complain complaining rejected neglect poverty
        prison accident panic horror scary creepy toxic stink stinks
        dislike unhappy sadly sadness heartbreak blame blamed rage pissed
        pissing outraged offended offensive insult insulting stupidity
        garbage trash pointless shameful coward cowardly greedy corrupt
        corruption scam fraud frustrated frustrating frustration irritating
        irritated hopeless helpless ashamed embarrassed embarrassing idiot
        idiots stupid moron dumb suck sucks sucked sucky shit crap fuck
        fucked fucker fuckers bitch bastard dead death die died dies dying
        ugh fml abuse abused awfully lonely miserably horribly damn damned
        cursed hell nightmares war wars attack attacked attacks victim
        victims sickening sickened hurting bored boring tired exhausted
        headache wtf smh ridiculous absurd nonsense mess messed ignorant
        annoyance anger angrily hateful hatred disgust shame sadden
        saddened mourning horrified terrified terrifying frightened
        frightening dread dreading upsetting crappiest stupidest ugliest
        dumbest flop bitter cranky grumpy gloomy sobbing heartbreaking agony
        ache aching illness vomit nauseous bankrupt unemployed layoffs
        isolated abandoned betrayed betrayal hurtful brutal aggressive
        threatening bully bullying harassment stalker yuck eww ew
        unacceptable inexcusable incompetent clueless lousy rubbish damnit
        dammit goddamn fuckin effing ffs condolences bomb explosion shooting
        earthquake hurricane virus emergency collapse recession riot
        weeping starving grieving troubled funeral
        """,
    1.0: """
        sorry unfortunately unfortunate alone lose lost loses losing loser
        problem problems issue issues bitching mediocre weird awkward stuck
        confused confusing miss missed missing meh blah boo bleh grr argh
        worn dull tedious slow noisy shock shocked shocking cold hungry
        complaint sigh jail arrest arrested broke difficult hard harder
        dark doubt doubts struggle struggling ignore ignored rejection
        rejects warning risk delay delayed cancelled canceled freezing
        crazy fight fights fighting crash crashed storm flood hospital debt
        cuts protest sore flu nervous harsh booed poorly badly
        """,
}

# Multi-word expressions, matched on the token sequence before single words.
PHRASES = {
    ("can't", "wait"): 2.0,
    ("cannot", "wait"): 2.0,
    ("cant", "wait"): 2.0,
    ("looking", "forward"): 2.0,
    ("look", "forward"): 2.0,
    ("well", "done"): 2.0,
    ("thank", "you"): 2.0,
    ("good", "luck"): 1.5,
    ("no", "problem"): 1.0,
    ("no", "worries"): 1.0,
    ("not", "bad"): 1.0,
    ("shut", "up"): -1.5,
    ("fed", "up"): -2.0,
    ("pain", "in", "the", "ass"): -2.5,
    ("waste", "of", "time"): -2.5,
    ("let", "down"): -2.0,
    ("sick", "of"): -2.0,
    ("tired", "of"): -2.0,
}

NEGATORS = {
    "not", "no", "never", "nothing", "nobody", "none", "nor", "neither",
    "without", "cannot", "hardly", "barely", "aint", "ain't", "isn't", "isnt",
    "aren't", "arent", "wasn't", "wasnt", "weren't", "werent", "don't", "dont",
    "doesn't", "doesnt", "didn't", "didnt", "can't", "cant", "couldn't",
    "couldnt", "won't", "wouldn't", "wouldnt", "shouldn't", "shouldnt",
    "haven't", "havent", "hasn't", "hasnt", "hadn't", "hadnt", "mustn't",
    "needn't",
}

# Words that scale the next sentiment word.
INTENSIFIERS = {
    "very": 1.4, "really": 1.4, "so": 1.3, "extremely": 1.6, "totally": 1.4,
    "absolutely": 1.5, "completely": 1.4, "super": 1.4, "incredibly": 1.5,
    "especially": 1.3, "truly": 1.4, "highly": 1.4, "most": 1.3, "such": 1.3,
    "too": 1.3, "utterly": 1.5, "deeply": 1.4, "seriously": 1.3,
    "freaking": 1.4, "fucking": 1.5, "bloody": 1.3, "damn": 1.3,
    "quite": 1.15, "pretty": 1.15, "soo": 1.4, "sooo": 1.5,
    "slightly": 0.5, "somewhat": 0.6, "kinda": 0.6, "sorta": 0.6,
    "fairly": 0.8, "almost": 0.7, "little": 0.7, "bit": 0.7,
}

# After these words "like" is the verb ("I like it"), not the preposition.
LIKE_SUBJECTS = {"i", "we", "you", "they", "really", "would", "i'd", "we'd",
                 "totally", "also", "still"} | NEGATORS

EMOTICONS = {
    ":)": 2.0, ":-)": 2.0, "=)": 2.0, ":]": 2.0, ":o)": 2.0, "(:": 2.0,
    ":d": 2.5, ":-d": 2.5, "=d": 2.5, "xd": 2.0, ";)": 1.5, ";-)": 1.5,
    ";d": 2.0, ":p": 1.0, ":-p": 1.0, "=p": 1.0, "x-p": 1.0,
    "<3": 2.5, "^_^": 2.0, "^^": 1.5,
    ":(": -2.0, ":-(": -2.0, "=(": -2.0, ":[": -2.0, "):": -2.0,
    ":'(": -2.5, ":/": -1.0, ":-/": -1.0, "=/": -1.0, ":\\": -1.0,
    ":|": -0.5, "-_-": -1.0, "</3": -2.5, ">:(": -2.5,
}

EMOJI = {
    "\U0001F600": 2.0, "\U0001F601": 2.0, "\U0001F602": 1.5, "\U0001F603": 2.0,
    "\U0001F60A": 2.0, "\U0001F60D": 2.5, "\U0001F618": 2.0, "\u2764": 2.5,
    "\u263A": 2.0, "\U0001F44D": 1.5, "\U0001F622": -2.0, "\U0001F62D": -2.0,
    "\U0001F620": -2.5, "\U0001F621": -2.5, "\U0001F61E": -2.0,
    "\U0001F44E": -1.5, "\U0001F494": -2.5,
}


def _build_lexicon():
    lex = {}
    for sign, table in ((1.0, POSITIVE), (-1.0, NEGATIVE)):
        for weight, words in table.items():
            for word in words.split():
                lex[word] = sign * weight
    return lex


LEXICON = _build_lexicon()
_PHRASE_WORDS = {w for seq in PHRASES for w in seq}

NEGATION_SCOPE = 3      # tokens after a negator that it reaches
NEGATION_FACTOR = -0.7  # "not good" is milder than "bad"
BEFORE_BUT = 0.6        # "nice, but ..." - the part after "but" counts more
AFTER_BUT = 1.3
CAPS_FACTOR = 1.3       # "I HATE mondays"
BANG_STEP = 0.3         # added to |score| per "!" (at most 4)
QUESTION_FACTOR = 0.5   # "any good films out?" asks rather than says
THRESHOLD = 0.5         # |score| below this is neutral

URL_RE = re.compile(r"https?://\S+|www\.\S+")
EMOTICON_RE = re.compile(
    r"(?:(?<=\s)|^)(" + "|".join(
        re.escape(e) for e in sorted(EMOTICONS, key=len, reverse=True)
    ) + r")(?=\s|$|[.,!?])", re.IGNORECASE)
TOKEN_RE = re.compile(r"#?[A-Za-z]+(?:'[A-Za-z]+)?|[.,;:!?]")
LAUGH_RE = re.compile(r"(?:ha|he|ah){2,}h?")
CLAUSE_END = {".", ",", ";", ":", "!", "?"}


def _candidates(word):
    """Forms a word may be listed under: as written, with letters repeated
    for emphasis squeezed ('goooood' -> 'good'), and laughter ('hahaha')."""
    yield word
    if re.search(r"(.)\1\1", word):
        yield re.sub(r"(.)\1{2,}", r"\1\1", word)
        yield re.sub(r"(.)\1{2,}", r"\1", word)
    if LAUGH_RE.fullmatch(word):
        yield "haha"


def _stems(word):
    """Regular inflections of a word missing from the list."""
    if len(word) < 5:
        return
    for suffix, repl in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"),
                         ("ing", ""), ("ing", "e"), ("ly", "")):
        if word.endswith(suffix):
            yield word[:-len(suffix)] + repl


def _lookup(word):
    """(listed form, weight or None) for a lower-case token."""
    for cand in _candidates(word):
        if cand in LEXICON:
            return cand, LEXICON[cand]
        if cand in INTENSIFIERS or cand in NEGATORS or cand in _PHRASE_WORDS:
            return cand, None
    for cand in _stems(word):
        if cand in LEXICON:
            return cand, LEXICON[cand]
    return word, None


def _hashtag(tag):
    """The sentiment word a hashtag ends or starts with: #epicfail, #sadface.
    The longest wins; on a tie the ending (the head of a compound) wins."""
    for n in range(len(tag) - 1, 2, -1):
        for part in (tag[-n:], tag[:n]):
            if part in LEXICON:
                return part
    return None


def _clauses(tokens):
    """For every token, whether its sentence ends in a question mark."""
    out = [False] * len(tokens)
    start = 0
    for i, tok in enumerate(tokens + ["."]):
        if tok in (".", "!", "?") or i == len(tokens):
            question = tok == "?"
            for k in range(start, min(i, len(tokens))):
                out[k] = question
            start = i + 1
    return out


def analyse(text):
    """Score a text. Returns (label, score, evidence)."""
    text = html.unescape(text).replace("\u2019", "'")
    text = URL_RE.sub(" ", text)
    evidence = []  # (offset in text, what was seen)
    score = 0.0

    for m in EMOTICON_RE.finditer(text):
        score += EMOTICONS[m.group(1).lower()]
        evidence.append((m.start(1), m.group(1)))
    for at, ch in enumerate(text):
        if ch in EMOJI:
            score += EMOJI[ch]
            evidence.append((at, ch))
    text = EMOTICON_RE.sub(lambda m: " " * len(m.group(0)), text)

    matches = list(TOKEN_RE.finditer(text))
    raw = [m.group(0) for m in matches]
    words = [t for t in raw if t[0].isalpha() and len(t) > 1]
    shouting = sum(1 for t in words if t.isupper())
    all_caps = shouting > 0 and shouting >= 0.8 * len(words)
    lower = [t.lower() for t in raw]
    found = [_lookup(t) if not t.startswith("#") else (t, None) for t in lower]
    tokens = [f[0] for f in found]
    question = _clauses(tokens)

    # The last "but" splits the text into a weaker and a stronger part.
    but_at = max((i for i, t in enumerate(tokens) if t == "but"), default=-1)

    hits = []  # (position, evidence text, weight, is a phrase)
    i = 0
    while i < len(tokens):
        phrase = None
        for seq, weight in PHRASES.items():
            if tuple(tokens[i:i + len(seq)]) == seq:
                phrase = (seq, weight)
                break
        if phrase:
            seq, weight = phrase
            hits.append((i, " ".join(lower[i:i + len(seq)]), weight, True))
            i += len(seq)
            continue
        tok, weight = found[i]
        shown = lower[i]
        if tok.startswith("#"):
            part = _hashtag(tok[1:])
            if part:
                weight = LEXICON[part]
        elif tok == "like" and i > 0 and tokens[i - 1] in LIKE_SUBJECTS:
            weight = 1.5
        elif tok in INTENSIFIERS and i + 1 < len(tokens) and (
                found[i + 1][1] is not None):
            weight = None  # "damn good": an intensifier here, not a word
        if weight is not None:
            hits.append((i, shown, weight, False))
        i += 1

    for pos, shown, weight, is_phrase in hits:
        w = weight
        j = pos - 1
        while j >= 0 and tokens[j] in INTENSIFIERS:
            w *= INTENSIFIERS[tokens[j]]
            j -= 1
        if raw[pos].isupper() and len(raw[pos]) > 1 and not all_caps:
            w *= CAPS_FACTOR
        if not is_phrase:
            for k in range(pos - 1, max(-1, pos - 1 - NEGATION_SCOPE), -1):
                if tokens[k] in CLAUSE_END or tokens[k] == "but":
                    break
                if tokens[k] in NEGATORS:
                    w *= NEGATION_FACTOR
                    shown = lower[k] + " " + shown
                    break
        if but_at >= 0:
            w *= BEFORE_BUT if pos < but_at else AFTER_BUT
        if question[pos]:
            w *= QUESTION_FACTOR
        score += w
        evidence.append((matches[pos].start(), shown))

    bangs = min(text.count("!"), 4)
    if score > 0:
        score += BANG_STEP * bangs
    elif score < 0:
        score -= BANG_STEP * bangs

    if score >= THRESHOLD:
        label = "positive"
    elif score <= -THRESHOLD:
        label = "negative"
    else:
        label = "neutral"
    evidence = [seen for _, seen in sorted(evidence, key=lambda e: e[0])]
    return label, round(score, 2) + 0.0, evidence


def respond(line, mode):
    if not line.strip():
        return {"error": "empty request line"}
    try:
        req = json.loads(line)
    except ValueError as exc:
        return {"error": "request is not valid JSON: %s" % exc}
    if not isinstance(req, dict):
        return {"error": "request must be a JSON object"}
    text = req.get("input")
    if not isinstance(text, str):
        return {"error": "request has no string field \"input\""}
    label, score, evidence = analyse(text)
    if mode == "classify":
        output = label
    else:
        output = json.dumps(
            {"label": label, "score": score, "evidence": evidence})
    # Echoing the request's id lets evalgate check that answers stay in step.
    return {"id": req.get("id"), "output": output}


def main(argv):
    if len(argv) > 1 or (argv and argv[0] not in ("classify", "explain")):
        print(USAGE, file=sys.stderr)
        return 2
    mode = argv[0] if argv else "classify"
    stdin = sys.stdin.buffer
    out = sys.stdout
    while True:
        line = stdin.readline()
        if not line:
            return 0
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            reply = {"error": "request is not valid UTF-8"}
        else:
            reply = respond(text, mode)
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
