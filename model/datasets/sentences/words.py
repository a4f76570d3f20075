"""The word lists the sentences are made of: everyday nouns, verbs and adjectives by what they
can do (English lemmas), and the closed classes written by hand (pronouns, numerals, times)."""

from __future__ import annotations

# Everyday nouns by what they can do or undergo (English lemmas; Spanish from the dictionary).
PEOPLE = ("child", "boy", "girl", "man", "woman", "teacher", "doctor", "farmer", "student",
          "friend", "neighbour", "mother", "father", "sister", "brother", "son", "daughter",
          "grandmother", "grandfather")  # fmt: skip
ANIMALS = ("dog", "cat", "bird", "horse", "lion", "cow", "spider")
AGENTS = PEOPLE + ANIMALS
DRINKS = ("milk", "water", "coffee", "tea", "juice", "wine")
FOODS = ("bread", "apple", "orange", "cheese", "soup", "cake", "rice", "egg", "chicken", "meat",
         "fish", "chocolate")  # fmt: skip
READS = ("book", "letter", "newspaper", "story", "message", "menu")
THINGS = ("house", "car", "door", "window", "ball", "table", "chair", "bicycle", "key", "box",
          "phone", "pen", "bag", "shoe", "ticket", "shirt", "dress", "hat", "umbrella",
          "computer", "picture", "map", "clock", "guitar", "bottle", "cup", "film", "song",
          "light")  # fmt: skip
SURFACES = ("table", "chair", "sofa", "bed", "mat")  # "on the sofa": "en el sofá"
# What one thanks for ("Thank you for your help."), for the set phrases (data/everyday)
THANKS = ("help", "gift", "flower", "dinner", "advice", "invitation", "visit", "letter", "cake",
          "book", "picture")  # fmt: skip
PLACES = ("garden", "park", "kitchen", "school", "street", "river", "city", "market", "field",
          "station", "hospital", "airport", "beach", "office", "museum", "restaurant", "shop",
          "library", "hotel", "room", "church", "mountain", "sea")  # fmt: skip
CONTAINERS = {"cup": DRINKS[:5], "glass": ("milk", "water", "juice", "wine"),
              "bottle": ("water", "wine", "milk"),
              "piece": ("bread", "cheese", "cake")}  # fmt: skip
# Adjectives that describe (Spanish "ser") and states (Spanish "estar").
DESCRIBE = ("small", "big", "old", "new", "red", "white", "black", "beautiful", "young",
            "tall", "green", "kind", "good", "cheap", "expensive", "long", "short")  # fmt: skip
STATES = ("happy", "tired", "sad", "busy", "ready", "angry", "clean", "dirty", "open", "hot",
          "cold")  # fmt: skip
MOODS = STATES[:6]  # a person's states; the rest are a thing's
COMPARED = ("fast", "heavy", "bad")  # in comparisons only ("faster than")
ADJECTIVES = DESCRIBE + STATES + COMPARED
# Which describing adjectives fit which nouns (a black orange, a short daughter: never)
FITS = {PEOPLE: ("old", "young", "tall", "kind", "good", "beautiful"),
        ANIMALS: ("small", "big", "old", "young", "black", "white", "beautiful"),
        THINGS + PLACES: ("small", "big", "old", "new", "red", "white", "black", "green",
                          "cheap", "expensive", "beautiful")}  # fmt: skip
MASS = (*DRINKS, "bread", "cheese", "soup", "rice", "chicken", "meat", "fish", "chocolate",
        "help", "advice")  # never plural here  # fmt: skip
INTRANSITIVE = ("sleep", "run", "sing", "walk", "swim", "play", "work", "eat", "laugh", "cry",
                "dance", "cook", "travel", "arrive", "live", "sit", "fall", "fly",
                "drive")  # fmt: skip
MOTION = ("go", "come", "walk", "run", "travel", "arrive", "drive", "fly")  # "al parque"
REFLEXIVE = ("sit", "fall")  # "se sentó", "me caí": the clitic of the subject's person
SITS = ("sit", "sleep", "fall")  # "on the sofa" rather than "in the garden", often
TRANSITIVE = {
    "drink": DRINKS, "eat": FOODS, "read": READS, "write": ("letter", "story", "message", "book"),
    "buy": FOODS + THINGS, "open": ("door", "window", "box", "book", "bottle", "shop"),
    "close": ("door", "window", "box", "book", "shop"), "see": AGENTS + THINGS + PLACES,
    "clean": ("house", "car", "table", "kitchen", "window", "room", "shoe"),
    "have": (*ANIMALS, *THINGS, *FOODS, "brother", "sister", "son", "daughter", "friend"),
    "need": FOODS + THINGS + DRINKS, "want": FOODS + THINGS,
    "sell": FOODS + THINGS, "find": THINGS + ANIMALS, "wash": ("car", "shirt", "dress", "cup"),
    "carry": ("bag", "box", "chair", "bottle", "umbrella", "book"), "cook": FOODS,
    "help": PEOPLE, "call": PEOPLE, "visit": PEOPLE + PLACES, "know": PEOPLE + PLACES,
    "love": AGENTS, "wait": PEOPLE, "watch": ANIMALS, "build": ("house", "school", "hotel"),
    "learn": ("song", "story"), "speak": (), "play": (),
    "forget": ("umbrella", "key", "ticket", "bag", "phone", "letter", "book"),
    "break": ("window", "cup", "bottle", "chair", "clock", "phone", "glass"),
    "bring": FOODS + DRINKS + ("book", "key", "umbrella", "map", "chair", "cup"),
    "lose": ("key", "ticket", "bag", "phone", "umbrella", "pen", "map", "hat", "shoe"),
    "touch": (*ANIMALS, "picture", "door", "window", "computer", "guitar", "box"),
    "finish": ("soup", "book", "letter", "cake", "story", "bread", "message"),
    "look": (*ANIMALS, "picture", "map", "clock", "window", "house", "sea"),
    "listen": (*PEOPLE, "song"),
}  # fmt: skip
STATIVE = {"know", "have", "love", "want", "need"}  # never "is knowing"
PERSONAL = ("see", "help", "call", "visit", "know", "love", "wait", "find", "watch", "listen",
            "look", "touch")  # fmt: skip
# English only: "wait for the bus" (esperar el autobús), "look at", "listen to"
PREPOSITION = {"wait": "for", "look": "at", "listen": "to"}
# Where the dictionary's first sense is not the everyday one, the sense to take among those it
# lists (a word it does not list is never taken).
SENSES = {"play": "jugar", "work": "trabajar", "letter": "carta", "market": "mercado",
          "station": "estación", "room": "habitación", "key": "llave", "ball": "pelota",
          "cup": "taza", "bottle": "botella", "piece": "pedazo", "juice": "zumo",
          "know": "conocer", "love": "querer", "watch": "mirar",
          "picture": "fotografía", "table": "mesa", "chair": "silla", "bag": "bolso",
          "ticket": "entrada", "office": "oficina", "field": "campo", "run": "correr",
          "cry": "llorar", "beautiful": "bonito", "ready": "listo", "short": "corto",
          "fish": "pescado", "advice": "consejo", "bed": "cama",
          "glass": "vaso"}  # fmt: skip
# Numerals (closed class): English, Spanish
NUMBERS = (("two", "dos"), ("three", "tres"), ("four", "cuatro"), ("five", "cinco"),
           ("six", "seis"), ("seven", "siete"), ("eight", "ocho"), ("nine", "nueve"),
           ("ten", "diez"), ("eleven", "once"), ("twelve", "doce"), ("fifteen", "quince"),
           ("twenty", "veinte"), ("thirty", "treinta"), ("forty", "cuarenta"),
           ("fifty", "cincuenta"), ("eighty", "ochenta"), ("a hundred", "cien"))  # fmt: skip
HOURS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve")  # fmt: skip
MINUTES = ("", "", "o'clock", "half past", "a quarter past", "a quarter to")
HOURS_ES = ("una", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez",
            "once", "doce")  # fmt: skip
PERIODS = {"in the morning": "de la mañana", "in the afternoon": "de la tarde",
           "in the evening": "de la tarde", "at night": "de la noche"}  # fmt: skip
DAYS = (("Monday", "lunes"), ("Tuesday", "martes"), ("Wednesday", "miércoles"),
        ("Thursday", "jueves"), ("Friday", "viernes"), ("Saturday", "sábado"),
        ("Sunday", "domingo"))  # fmt: skip
# Times that fit any tense, and those that fit one (English, Spanish)
WHEN_ANY = (("in the morning", "por la mañana"), ("in the afternoon", "por la tarde"),
            ("at night", "por la noche"), ("at noon", "al mediodía"),
            ("at midnight", "a medianoche"), ("early", "temprano"), ("late", "tarde"))  # fmt: skip
WHEN = {
    "present": (("every day", "todos los días"), ("every morning", "todas las mañanas"),
                ("today", "hoy"), ("every week", "cada semana")),
    "past": (("yesterday", "ayer"), ("last week", "la semana pasada"),
             ("last night", "anoche"), ("last month", "el mes pasado"),
             ("last year", "el año pasado"), ("this morning", "esta mañana")),
    "future": (("tomorrow", "mañana"), ("next week", "la semana que viene"),
               ("tonight", "esta noche"), ("soon", "pronto"), ("next year", "el año que viene")),
}  # fmt: skip
# Subject pronouns (closed class): English, Spanish ("" where Spanish drops it), person, number
PRONOUNS = (
    ("I", "", "p1", "sg"), ("you", "", "p2", "sg"), ("he", "él", "p3", "sg"),
    ("she", "ella", "p3", "sg"), ("we", "", "p1", "pl"), ("they", "", "p3", "pl"),
)  # fmt: skip
LANGUAGES = {"English": "inglés", "Spanish": "español", "French": "francés",
             "German": "alemán", "Italian": "italiano", "Chinese": "chino"}  # fmt: skip
# Object pronouns and their Spanish clitics; the clitic of "gustar" for each subject pronoun
OBJECTS = {"me": "me", "you": "te", "him": "lo", "her": "la", "us": "nos", "them": "los"}
DATIVE = {"I": "me", "you": "te", "he": "le", "she": "le", "we": "nos", "they": "les"}
BE = {("p1", "sg"): ("am", "was"), ("p2", "sg"): ("are", "were"), ("p3", "sg"): ("is", "was"),
      ("p1", "pl"): ("are", "were"), ("p2", "pl"): ("are", "were"),
      ("p3", "pl"): ("are", "were")}  # fmt: skip
DETERMINERS = ("the", "a", "my", "your", "his", "her", "our", "their", "this", "that")
TENSES = {"present": "pri", "past": "ifi", "future": "fti"}  # Apertium's Spanish tense tags
KINDS = ("statement", "negation", "question")
FRAMES = {"action": 40, "progressive": 8, "going": 7, "wouldlike": 12, "copula": 12,
          "there": 6, "age": 4, "clock": 5, "where": 6,
          # what a lecturer types (issue 32): modals and requests, imperatives, the present
          # perfect, comparatives, "like", weather, greetings and set phrases
          "modal": 12, "imperative": 12, "perfect": 10, "compare": 7, "like": 10, "weather": 7,
          "phrase": 8}  # fmt: skip
# English modal -> Spanish lemma and tense: "can" puedo, "could" (a request) podrías or (the
# past) pudo, "must" debo, "should" debería
MODALS = {"can": ("poder", "pri"), "could": ("poder", "cni"), "must": ("deber", "pri"),
          "should": ("deber", "cni")}  # fmt: skip
# The reflexive clitic for each person and number ("se sentó", "nos sentamos")
REFLEXIVES = {("p1", "sg"): "me", ("p2", "sg"): "te", ("p3", "sg"): "se", ("p1", "pl"): "nos",
              ("p2", "pl"): "os", ("p3", "pl"): "se"}  # fmt: skip
# Subject pronouns after "que" in a comparison (English object pronoun -> Spanish)
THAN = {"me": "yo", "you": "tú", "him": "él", "her": "ella", "us": "nosotros",
        "them": "ellos"}  # fmt: skip
# Comparatives Spanish says in one word (Apertium's generator spells their number)
IRREGULAR_COMPARATIVE = {"good": "mejor", "bad": "peor"}
# What each kind of subject is compared in
COMPARISONS = {PEOPLE: ("tall", "old", "young", "busy", "happy", "tired"),
               ANIMALS: ("big", "small", "old", "young", "fast", "heavy", "beautiful"),
               THINGS + PLACES: ("big", "small", "old", "new", "cheap", "expensive", "heavy",
                                 "good", "bad", "beautiful"),
               FOODS + DRINKS: ("hot", "cold", "cheap", "expensive", "good", "bad")}  # fmt: skip
# Weather, closed class written by hand: "It is cold" -> "Hace frío" (hacer + noun)
WEATHER = {"cold": "frío", "hot": "calor", "warm": "calor", "sunny": "sol", "windy": "viento"}
# "It is raining": "Está lloviendo" (the package's dictionaries have no verb "snow", "nevar")
FALLING = {"rain": "llover"}
WEATHER_PLACES = (("in the garden", "en el jardín"), ("at the beach", "en la playa"),
                  ("in the city", "en la ciudad"), ("in the mountains", "en las montañas"),
                  ("outside", "fuera"), ("in the park", "en el parque"))  # fmt: skip
WEATHER_WHEN = {
    "present": (("today", "hoy"), ("now", "ahora"), ("again", "otra vez"),
                ("this morning", "esta mañana"), ("in winter", "en invierno"),
                ("in summer", "en verano")),
    "past": (("yesterday", "ayer"), ("last night", "anoche"), ("all night", "toda la noche"),
             ("all day", "todo el día"), ("last week", "la semana pasada")),
    "future": (("tomorrow", "mañana"), ("tonight", "esta noche"),
               ("next week", "la semana que viene"), ("on Sunday", "el domingo")),
}  # fmt: skip
