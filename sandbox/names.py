"""Name pools for the seeded customers: each locale's names, with an ASCII form for addresses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Locale:
    code: str  # Zendesk locale
    time_zone: str  # Zendesk's (Rails) time zone name
    iana_time_zone: str
    given: tuple[tuple[str, str], ...]  # (name, ascii)
    family: tuple[tuple[str, str], ...]
    family_first: bool = False  # written "family given", without a space between them


LOCALES: tuple[tuple[Locale, float], ...] = (
    (
        Locale(
            "en-US",
            "Eastern Time (US & Canada)",
            "America/New_York",
            tuple(
                (n, n.lower())
                for n in (
                    "Emma",
                    "Liam",
                    "Olivia",
                    "Noah",
                    "Ava",
                    "James",
                    "Sophia",
                    "Lucas",
                    "Mia",
                    "Ethan",
                    "Amelia",
                    "Mason",
                    "Harper",
                    "Logan",
                    "Evelyn",
                    "Aiden",
                    "Chloe",
                    "Jack",
                )
            ),
            tuple(
                (n, n.lower().replace("'", ""))
                for n in (
                    "Smith",
                    "Johnson",
                    "Williams",
                    "Brown",
                    "Jones",
                    "Garcia",
                    "Miller",
                    "Davis",
                    "Wilson",
                    "Anderson",
                    "Taylor",
                    "Thomas",
                    "Moore",
                    "Martin",
                    "O'Brien",
                    "Clark",
                )
            ),
        ),
        0.62,
    ),
    (
        Locale(
            "ko",
            "Seoul",
            "Asia/Seoul",
            (
                ("민준", "minjun"),
                ("서연", "seoyeon"),
                ("지우", "jiwoo"),
                ("하준", "hajun"),
                ("서윤", "seoyun"),
                ("도윤", "doyun"),
                ("지민", "jimin"),
                ("예은", "yeeun"),
            ),
            (
                ("김", "kim"),
                ("이", "lee"),
                ("박", "park"),
                ("최", "choi"),
                ("정", "jung"),
                ("강", "kang"),
                ("조", "cho"),
                ("윤", "yoon"),
            ),
            family_first=True,
        ),
        0.12,
    ),
    (
        Locale(
            "it",
            "Rome",
            "Europe/Rome",
            (
                ("Giulia", "giulia"),
                ("Marco", "marco"),
                ("Francesca", "francesca"),
                ("Niccolò", "niccolo"),
                ("Chiara", "chiara"),
                ("Luca", "luca"),
                ("Anna", "anna"),
                ("Matteo", "matteo"),
            ),
            (
                ("Rossi", "rossi"),
                ("Bianchi", "bianchi"),
                ("Esposito", "esposito"),
                ("Romano", "romano"),
                ("Colombo", "colombo"),
                ("Ricci", "ricci"),
                ("Mancini", "mancini"),
                ("D'Angelo", "dangelo"),
                ("Fabbrì", "fabbri"),
            ),
        ),
        0.13,
    ),
    (
        Locale(
            "fi",
            "Helsinki",
            "Europe/Helsinki",
            (
                ("Aino", "aino"),
                ("Eetu", "eetu"),
                ("Väinö", "vaino"),
                ("Siiri", "siiri"),
                ("Onni", "onni"),
                ("Helmi", "helmi"),
                ("Elias", "elias"),
                ("Ella", "ella"),
            ),
            (
                ("Mäkinen", "makinen"),
                ("Järvinen", "jarvinen"),
                ("Heikkilä", "heikkila"),
                ("Häkkinen", "hakkinen"),
                ("Virtanen", "virtanen"),
                ("Korhonen", "korhonen"),
                ("Nieminen", "nieminen"),
                ("Mäkelä", "makela"),
            ),
        ),
        0.13,
    ),
)

CUSTOMER_DOMAINS = ("example.com", "example.org", "example.net", "shop.example", "mail.example")
STAFF_DOMAIN = "support.example.com"
