"""A believable Lille-area demo world, and the use case that loads it.

The data are plain Python structures (French, as the first users are): two hubs, thirteen
producers from Flanders, the Pévèle, the Mélantois and the Weppes with about 150 products,
four pickup points in tiers-lieux, sixty households and one account per role, all sharing
``DEMO_PASSWORD``. Photos are left blank: the templates show a placeholder.

``load_demo_data`` creates whatever is missing, keyed on slugs, e-mail addresses,
(producer, product name) and (product, variant name). It never updates a row that exists, so
running it again changes nothing and keeps what people edited; a deleted row or link is
created again.
"""

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TextIO

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils.text import slugify

from foodhub.accounts.models import User
from foodhub.hubs.models import Hub, HubMembership
from orders.demo import load_demo_cycles
from pickup_points.models import PickupPoint, PickupPointMembership
from producers.models import (
    Category,
    Label,
    Producer,
    ProducerMembership,
    Product,
    StockMode,
    Unit,
    Variant,
    VatRate,
)
from producers.services import refresh_search_texts

DEMO_PASSWORD = "foodhub-demo"  # noqa: S105 - printed on purpose, demo accounts only
DEMO_EMAIL_DOMAIN = "demo.foodhub.test"

KG, G, L, CL, PIECE, BUNCH = Unit.KG, Unit.G, Unit.L, Unit.CL, Unit.PIECE, Unit.BUNCH
REDUCED, INTERMEDIATE, STANDARD = VatRate.REDUCED, VatRate.INTERMEDIATE, VatRate.STANDARD


# --- Shapes of the data -------------------------------------------------------------------


@dataclass(frozen=True)
class DemoVariant:
    code: str  # last part of the SKU: "MEL-PDT-5K"
    name: str
    unit: str
    quantity: str
    price: str  # incl. VAT, EUR
    vat: str | None = None  # defaults to the product's, then the producer's rate
    on_demand: bool | None = None  # defaults to the product's, then the producer's mode


@dataclass(frozen=True)
class DemoProduct:
    code: str
    name: str
    category: str  # Category slug
    variants: tuple[DemoVariant, ...]
    labels: tuple[str, ...] = ()  # Label slugs, added to the producer's
    vat: str | None = None
    on_demand: bool | None = None
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class DemoProducer:
    slug: str
    code: str  # first part of the SKU
    name: str
    address: str
    postcode: str
    city: str
    description: str
    hubs: tuple[str, ...]  # Hub slugs
    products: tuple[DemoProduct, ...]
    labels: tuple[str, ...] = ()
    vat: str = REDUCED
    on_demand: bool = False


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    full_name: str
    note: str = ""


def v(code, name, unit, quantity, price, **options) -> DemoVariant:
    return DemoVariant(code, name, unit, quantity, price, **options)


def p(code, name, category, *variants, **options) -> DemoProduct:
    return DemoProduct(code, name, category, variants, **options)


# --- Shop aisles and quality signs -------------------------------------------------------

CATEGORIES = [
    ("legumes", "Légumes"),
    ("fruits", "Fruits"),
    ("produits-laitiers", "Produits laitiers"),
    ("fromages", "Fromages"),
    ("boulangerie", "Boulangerie"),
    ("viandes-charcuterie", "Viandes et charcuterie"),
    ("oeufs-volailles", "Œufs et volailles"),
    ("miel-confitures", "Miel et confitures"),
    ("boissons", "Boissons"),
    ("epicerie", "Épicerie"),
]

LABELS = [
    ("ab", "Agriculture biologique (AB)"),
    ("nature-et-progres", "Nature & Progrès"),
    ("hve", "HVE"),
    ("local", "Local"),
    ("bienvenue-a-la-ferme", "Bienvenue à la ferme"),
]

# --- Hubs ---------------------------------------------------------------------------------

HUBS = [
    {
        "slug": "lille-sud",
        "name": "Drive fermier de Lille-Sud",
        "order_prefix": "LIL",
        "address": "Rue du Faubourg des Postes, 59000 Lille",
        "contact_email": f"lille-sud@{DEMO_EMAIL_DOMAIN}",
        "description": (
            "Un drive fermier associatif : une douzaine de fermes à moins de 40 km de Lille, "
            "une commande par semaine, un retrait dans un lieu de quartier. Les commandes sont "
            "ouvertes du samedi matin au mardi midi ; les producteurs livrent le jeudi."
        ),
    },
    {
        "slug": "villeneuve-d-ascq",
        "name": "Drive fermier de Villeneuve-d'Ascq",
        "order_prefix": "VDA",
        "address": "Chaussée de l'Hôtel de Ville, 59650 Villeneuve-d'Ascq",
        "contact_email": f"vda@{DEMO_EMAIL_DOMAIN}",
        "description": (
            "Le drive de l'est de la métropole, de Villeneuve-d'Ascq à Roubaix. Produits de la "
            "Pévèle, du Mélantois et des Flandres, commandés en ligne et retirés au jardin "
            "partagé, à la ressourcerie ou au tiers-lieu de Fives."
        ),
    },
]

BOTH = ("lille-sud", "villeneuve-d-ascq")
LILLE_SUD = ("lille-sud",)
VDA = ("villeneuve-d-ascq",)

# --- Producers and their catalogues -------------------------------------------------------

PRODUCERS = [
    DemoProducer(
        slug="jardins-du-melantois",
        code="MEL",
        name="Les Jardins du Mélantois",
        address="Chemin des Blancs Marais",
        postcode="59273",
        city="Péronne-en-Mélantois",
        description=(
            "Six hectares de maraîchage bio diversifié entre Lille et Tournai. Julien et son "
            "équipe cultivent une cinquantaine de légumes de saison en plein champ et sous "
            "tunnel, récoltés la veille du retrait."
        ),
        hubs=BOTH,
        labels=("ab", "local"),
        products=(
            p(
                "PDT",
                "Pommes de terre Bintje",
                "legumes",
                v("1K", "1 kg", KG, "1", "2.20"),
                v("5K", "sac de 5 kg", KG, "5", "9.50"),
                description="La variété du Nord pour les frites et la purée.",
            ),
            p(
                "CHA",
                "Pommes de terre Charlotte",
                "legumes",
                v("1K", "1 kg", KG, "1", "2.90"),
                v("3K", "sac de 3 kg", KG, "3", "8.20"),
            ),
            p(
                "CAR",
                "Carottes",
                "legumes",
                v("1K", "1 kg", KG, "1", "2.60"),
                v("BO", "botte", BUNCH, "1", "2.80"),
            ),
            p(
                "POI",
                "Poireaux",
                "legumes",
                v("1K", "1 kg", KG, "1", "3.50"),
                v("BO", "botte de 3", BUNCH, "1", "3.20"),
            ),
            p(
                "OIG",
                "Oignons jaunes",
                "legumes",
                v("1K", "1 kg", KG, "1", "2.80"),
                v("3K", "filet de 3 kg", KG, "3", "7.50"),
            ),
            p("ECH", "Échalotes", "legumes", v("500", "500 g", G, "500", "3.90")),
            p(
                "AIL",
                "Ail rose",
                "legumes",
                v("TE", "la tête", PIECE, "1", "1.20"),
                v("250", "250 g", G, "250", "4.50"),
            ),
            p("CFL", "Chou-fleur", "legumes", v("PC", "pièce", PIECE, "1", "3.20")),
            p("CHV", "Chou vert frisé", "legumes", v("PC", "pièce", PIECE, "1", "2.80")),
            p("CHR", "Chou rouge", "legumes", v("PC", "pièce", PIECE, "1", "2.50")),
            p(
                "BET",
                "Betteraves rouges cuites",
                "legumes",
                v("500", "500 g", G, "500", "2.40"),
                description="Cuites au four à bois de la ferme, sous vide.",
            ),
            p("CEL", "Céleri-rave", "legumes", v("PC", "pièce", PIECE, "1", "2.90")),
            p(
                "NAV",
                "Navets",
                "legumes",
                v("1K", "1 kg", KG, "1", "3.20"),
                v("BO", "botte", BUNCH, "1", "2.60"),
            ),
            p("PAN", "Panais", "legumes", v("1K", "1 kg", KG, "1", "4.20")),
            p(
                "BUT",
                "Courge butternut",
                "legumes",
                v("PC", "pièce (environ 1 kg)", PIECE, "1", "3.20"),
                v("1K", "1 kg", KG, "1", "2.90"),
            ),
            p("POT", "Potimarron", "legumes", v("PC", "pièce", PIECE, "1", "3.50")),
            p("LAI", "Laitue", "legumes", v("PC", "pièce", PIECE, "1", "1.40")),
            p(
                "MAC",
                "Mâche",
                "legumes",
                v("150", "sachet de 150 g", G, "150", "2.80"),
                v("250", "sachet de 250 g", G, "250", "4.40"),
            ),
            p("EPI", "Épinards", "legumes", v("500", "500 g", G, "500", "3.60")),
            p(
                "TCE",
                "Tomates cerises",
                "legumes",
                v("250", "barquette de 250 g", G, "250", "3.20"),
            ),
            p("COU", "Courgettes", "legumes", v("1K", "1 kg", KG, "1", "3.20")),
            p("HAV", "Haricots verts", "legumes", v("500", "500 g", G, "500", "4.50")),
            p("RAD", "Radis roses", "legumes", v("BO", "botte", BUNCH, "1", "1.60")),
            p("PER", "Persil plat", "legumes", v("BO", "botte", BUNCH, "1", "1.20")),
            p("CIB", "Ciboulette", "legumes", v("BO", "botte", BUNCH, "1", "1.20")),
            p(
                "RHU",
                "Rhubarbe",
                "fruits",
                v("1K", "1 kg", KG, "1", "4.50"),
                v("BO", "botte", BUNCH, "1", "3.50"),
            ),
            p(
                "ASP",
                "Asperges blanches",
                "legumes",
                v("500", "botte de 500 g", G, "500", "7.50"),
                active=False,
                description="De mi-avril à fin juin.",
            ),
            p(
                "PAS",
                "Panier de légumes de saison",
                "legumes",
                v("PE", "petit panier (2 personnes)", PIECE, "1", "12.00"),
                v("GR", "grand panier (4 personnes)", PIECE, "1", "20.00"),
                on_demand=True,
                description="Six à neuf légumes de la semaine, composés le jour de la récolte.",
            ),
        ),
    ),
    DemoProducer(
        slug="fromagerie-des-weppes",
        code="FRW",
        name="Fromagerie des Weppes",
        address="Rue du Bois",
        postcode="59249",
        city="Aubers",
        description=(
            "Quarante vaches prim'holstein et bleues du Nord, pâturage d'avril à novembre, "
            "lait transformé à la ferme : yaourts, beurre baratté et tommes affinées dans "
            "notre cave."
        ),
        hubs=BOTH,
        labels=("local", "bienvenue-a-la-ferme"),
        products=(
            p(
                "LAC",
                "Lait cru entier",
                "produits-laitiers",
                v("1L", "bouteille 1 l", L, "1", "1.40"),
                v("2L", "bouteille 2 l", L, "2", "2.60"),
            ),
            p(
                "LDE",
                "Lait demi-écrémé",
                "produits-laitiers",
                v("1L", "bouteille 1 l", L, "1", "1.30"),
            ),
            p(
                "YAN",
                "Yaourt nature",
                "produits-laitiers",
                v("125", "pot de 125 g", G, "125", "0.70"),
                v("4P", "lot de 4", G, "500", "2.60"),
            ),
            p(
                "YAV",
                "Yaourt à la vanille",
                "produits-laitiers",
                v("4P", "lot de 4", G, "500", "2.90"),
            ),
            p(
                "YAF",
                "Yaourt aux fruits rouges",
                "produits-laitiers",
                v("4P", "lot de 4", G, "500", "2.90"),
            ),
            p(
                "FBL",
                "Fromage blanc battu",
                "produits-laitiers",
                v("500", "pot de 500 g", G, "500", "3.20"),
                v("1K", "seau de 1 kg", KG, "1", "5.90"),
            ),
            p(
                "CRE",
                "Crème fraîche épaisse",
                "produits-laitiers",
                v("25C", "pot de 25 cl", CL, "25", "2.40"),
                v("50C", "pot de 50 cl", CL, "50", "4.20"),
            ),
            p(
                "BED",
                "Beurre doux baratté",
                "produits-laitiers",
                v("250", "250 g", G, "250", "3.80"),
            ),
            p("BES", "Beurre demi-sel", "produits-laitiers", v("250", "250 g", G, "250", "3.90")),
            p(
                "RIZ",
                "Riz au lait",
                "produits-laitiers",
                v("180", "pot de 180 g", G, "180", "1.80"),
            ),
            p(
                "TOM",
                "Tomme des Weppes",
                "fromages",
                v("250", "250 g", G, "250", "5.50"),
                v("500", "500 g", G, "500", "10.50"),
                description="Pâte pressée affinée trois mois, croûte naturelle.",
            ),
            p(
                "VXL",
                "Vieux-Lille",
                "fromages",
                v("400", "pavé de 400 g", G, "400", "9.80"),
                description="Le « puant de Lille » : un maroilles affiné longuement en saumure.",
            ),
            p(
                "BRG",
                "Fromage de Bergues",
                "fromages",
                v("500", "pièce de 500 g", G, "500", "7.90"),
            ),
            p("MIM", "Mimolette jeune", "fromages", v("250", "250 g", G, "250", "4.80")),
            p("CAR", "Carré des Weppes", "fromages", v("200", "pièce de 200 g", G, "200", "5.20")),
            p(
                "RAC",
                "Raclette fermière",
                "fromages",
                v("400", "400 g en tranches", G, "400", "8.40"),
                v("1K", "1 kg", KG, "1", "19.50"),
            ),
        ),
    ),
    DemoProducer(
        slug="chevrerie-du-mont-noir",
        code="CMN",
        name="Chèvrerie du Mont Noir",
        address="Route du Mont Noir",
        postcode="59270",
        city="Saint-Jans-Cappel",
        description=(
            "Soixante chèvres alpines sur les pentes du Mont Noir, à la frontière belge. "
            "Fromages au lait cru moulés à la louche, affinés de quelques jours à six semaines."
        ),
        hubs=VDA,
        labels=("nature-et-progres", "local"),
        products=(
            p(
                "LCH",
                "Lait de chèvre cru",
                "produits-laitiers",
                v("1L", "bouteille 1 l", L, "1", "2.20"),
            ),
            p(
                "FAI",
                "Faisselle de chèvre",
                "produits-laitiers",
                v("500", "500 g", G, "500", "3.90"),
            ),
            p(
                "YCH",
                "Yaourt au lait de chèvre",
                "produits-laitiers",
                v("4P", "lot de 4", G, "500", "3.90"),
            ),
            p(
                "CRF",
                "Crottin frais",
                "fromages",
                v("PC", "pièce", PIECE, "1", "2.30"),
                v("3P", "lot de 3", PIECE, "3", "6.50"),
            ),
            p("CRA", "Crottin affiné", "fromages", v("PC", "pièce", PIECE, "1", "2.50")),
            p("BUC", "Bûche cendrée", "fromages", v("180", "pièce de 180 g", G, "180", "5.40")),
            p("TCH", "Tomme de chèvre", "fromages", v("250", "250 g", G, "250", "7.20")),
            p("HER", "Chèvre frais aux herbes", "fromages", v("PC", "pièce", PIECE, "1", "2.60")),
        ),
    ),
    DemoProducer(
        slug="fournil-de-la-deule",
        code="FDD",
        name="Le Fournil de la Deûle",
        address="Rue de Quesnoy",
        postcode="59118",
        city="Wambrechies",
        description=(
            "Paysans-boulangers : pains au levain naturel pétris à la main et cuits au feu de "
            "bois, avec les farines du Moulin de la Marque. Cuisson à la commande, le jeudi."
        ),
        hubs=LILLE_SUD,
        labels=("ab",),
        on_demand=True,
        products=(
            p(
                "CAM",
                "Pain de campagne au levain",
                "boulangerie",
                v("500", "500 g", G, "500", "3.60"),
                v("1K", "1 kg", KG, "1", "6.80"),
            ),
            p("COM", "Pain complet", "boulangerie", v("500", "500 g", G, "500", "3.80")),
            p("SEI", "Pain de seigle", "boulangerie", v("500", "500 g", G, "500", "4.10")),
            p("GRA", "Pain aux graines", "boulangerie", v("500", "500 g", G, "500", "4.30")),
            p("BAG", "Baguette de tradition", "boulangerie", v("PC", "pièce", PIECE, "1", "1.30")),
            p("EPE", "Pain d'épeautre", "boulangerie", v("500", "500 g", G, "500", "4.90")),
            p("NOI", "Pain aux noix", "boulangerie", v("400", "400 g", G, "400", "4.90")),
            p(
                "CRM",
                "Cramique aux raisins",
                "boulangerie",
                v("500", "500 g", G, "500", "6.20"),
                description="La brioche flamande aux raisins, pour le petit déjeuner du dimanche.",
            ),
            p("CRQ", "Craquelin", "boulangerie", v("400", "400 g", G, "400", "5.90")),
            p(
                "TAS",
                "Tarte au sucre",
                "boulangerie",
                v("6P", "6 parts", PIECE, "1", "9.50"),
                v("IN", "individuelle", PIECE, "1", "2.90"),
                description="À la vergeoise brune, comme à Lille.",
            ),
            p("TAP", "Tarte aux pommes", "boulangerie", v("6P", "6 parts", PIECE, "1", "14.00")),
            p("PEP", "Pain d'épices", "boulangerie", v("500", "500 g", G, "500", "6.50")),
            p(
                "SPE",
                "Spéculoos",
                "boulangerie",
                v("200", "sachet de 200 g", G, "200", "3.80"),
                on_demand=False,
            ),
            p(
                "GAU",
                "Gaufres fourrées à la vergeoise",
                "boulangerie",
                v("6P", "sachet de 6", PIECE, "6", "7.20"),
                on_demand=False,
            ),
            p("CRO", "Croissants", "boulangerie", v("4P", "lot de 4", PIECE, "4", "4.80")),
            p("PCH", "Pains au chocolat", "boulangerie", v("4P", "lot de 4", PIECE, "4", "5.20")),
        ),
    ),
    DemoProducer(
        slug="vergers-de-bondues",
        code="VBO",
        name="Les Vergers de Bondues",
        address="Chemin du Blaton",
        postcode="59910",
        city="Bondues",
        description=(
            "Un verger familial de douze hectares : vieilles variétés du Nord, pommes et poires "
            "cueillies à la main et conservées en chambre froide jusqu'au printemps."
        ),
        hubs=BOTH,
        labels=("hve", "local"),
        products=(
            p(
                "JON",
                "Pommes Jonagold",
                "fruits",
                v("1K", "1 kg", KG, "1", "2.60"),
                v("2K", "sac de 2 kg", KG, "2", "4.90"),
            ),
            p(
                "BOS",
                "Pommes Belle de Boskoop",
                "fruits",
                v("1K", "1 kg", KG, "1", "2.60"),
                v("2K", "sac de 2 kg", KG, "2", "4.90"),
            ),
            p(
                "REI",
                "Pommes Reinette des Flandres",
                "fruits",
                v("1K", "1 kg", KG, "1", "2.90"),
                description="Vieille variété locale, acidulée, parfaite en tarte.",
            ),
            p(
                "ELS",
                "Pommes Elstar",
                "fruits",
                v("1K", "1 kg", KG, "1", "2.60"),
                v("2K", "sac de 2 kg", KG, "2", "4.90"),
            ),
            p(
                "GOL",
                "Pommes Golden",
                "fruits",
                v("1K", "1 kg", KG, "1", "2.40"),
                v("2K", "sac de 2 kg", KG, "2", "4.50"),
            ),
            p("COX", "Pommes Cox's Orange", "fruits", v("1K", "1 kg", KG, "1", "2.90")),
            p(
                "CUI",
                "Pommes à cuire",
                "fruits",
                v("5K", "cagette de 5 kg", KG, "5", "9.00"),
                on_demand=True,
            ),
            p(
                "CON",
                "Poires Conférence",
                "fruits",
                v("1K", "1 kg", KG, "1", "3.20"),
                v("2K", "sac de 2 kg", KG, "2", "6.00"),
            ),
            p("COM", "Poires Doyenné du Comice", "fruits", v("1K", "1 kg", KG, "1", "3.60")),
            p("LBO", "Poires Louise-Bonne", "fruits", v("1K", "1 kg", KG, "1", "3.40")),
            p(
                "CER",
                "Cerises Burlat",
                "fruits",
                v("500", "barquette de 500 g", G, "500", "5.90"),
                active=False,
                description="En juin seulement.",
            ),
            p("FRA", "Fraises", "fruits", v("500", "barquette de 500 g", G, "500", "5.50")),
            p("PRU", "Prunes Reine-Claude", "fruits", v("1K", "1 kg", KG, "1", "4.20")),
            p(
                "CPR",
                "Compote pomme-rhubarbe",
                "epicerie",
                v("370", "bocal de 370 g", G, "370", "3.90"),
            ),
        ),
    ),
    DemoProducer(
        slug="miellerie-de-la-lys",
        code="MDL",
        name="Miellerie de la Lys",
        address="Rue de la Lys",
        postcode="59193",
        city="Erquinghem-Lys",
        description=(
            "Deux cents ruches posées chez des maraîchers et dans les bois du Nord. Miels "
            "extraits à froid, confitures cuites en petites bassines avec les fruits des "
            "fermes voisines."
        ),
        hubs=BOTH,
        labels=("local",),
        products=(
            p(
                "PRI",
                "Miel de printemps crémeux",
                "miel-confitures",
                v("250", "pot de 250 g", G, "250", "5.90"),
                v("500", "pot de 500 g", G, "500", "10.50"),
            ),
            p(
                "TIL",
                "Miel de tilleul",
                "miel-confitures",
                v("250", "pot de 250 g", G, "250", "6.50"),
                v("500", "pot de 500 g", G, "500", "11.80"),
            ),
            p(
                "TFL",
                "Miel toutes fleurs liquide",
                "miel-confitures",
                v("500", "pot de 500 g", G, "500", "9.80"),
                v("1K", "pot de 1 kg", KG, "1", "18.00"),
            ),
            p(
                "COL",
                "Miel de colza crémeux",
                "miel-confitures",
                v("500", "pot de 500 g", G, "500", "8.90"),
            ),
            p(
                "FOR",
                "Miel de forêt",
                "miel-confitures",
                v("500", "pot de 500 g", G, "500", "11.50"),
                labels=("nature-et-progres",),
                description="Récolté en forêt de Phalempin, sombre et peu sucré.",
            ),
            p("POL", "Pollen séché", "miel-confitures", v("125", "pot de 125 g", G, "125", "7.50")),
            p(
                "CFR",
                "Confiture de fraises",
                "miel-confitures",
                v("340", "pot de 340 g", G, "340", "4.90"),
            ),
            p(
                "CRH",
                "Confiture de rhubarbe",
                "miel-confitures",
                v("340", "pot de 340 g", G, "340", "4.70"),
            ),
            p(
                "GEL",
                "Gelée de groseilles",
                "miel-confitures",
                v("340", "pot de 340 g", G, "340", "5.20"),
            ),
            p(
                "TAR",
                "Pâte à tartiner miel et noisettes",
                "miel-confitures",
                v("250", "pot de 250 g", G, "250", "6.80"),
            ),
            # Confectionery is taxed at the standard rate in France.
            p(
                "BON",
                "Bonbons au miel",
                "miel-confitures",
                v("150", "sachet de 150 g", G, "150", "4.20"),
                vat=STANDARD,
            ),
        ),
    ),
    DemoProducer(
        slug="ferme-du-pont-de-pierre",
        code="FPP",
        name="Ferme du Pont de Pierre",
        address="Rue de Wervicq",
        postcode="59166",
        city="Bousbecque",
        description=(
            "Poules pondeuses et volailles de chair élevées en plein air au bord de la Lys, "
            "nourries avec les céréales de la ferme. Abattage et découpe à la ferme."
        ),
        hubs=BOTH,
        labels=("bienvenue-a-la-ferme", "local"),
        products=(
            p(
                "OPA",
                "Œufs de plein air",
                "oeufs-volailles",
                v("6", "boîte de 6", PIECE, "6", "2.40"),
                v("12", "boîte de 12", PIECE, "12", "4.50"),
                v("30", "plateau de 30", PIECE, "30", "10.50"),
            ),
            p(
                "OBI",
                "Œufs bio",
                "oeufs-volailles",
                v("6", "boîte de 6", PIECE, "6", "2.90"),
                labels=("ab",),
            ),
            p(
                "POU",
                "Poulet fermier prêt à cuire",
                "oeufs-volailles",
                v("18", "pièce d'environ 1,8 kg", PIECE, "1", "17.50"),
                v("22", "pièce d'environ 2,2 kg", PIECE, "1", "21.00"),
            ),
            p("CUI", "Cuisses de poulet", "oeufs-volailles", v("500", "500 g", G, "500", "6.20")),
            p("FIL", "Filets de poulet", "oeufs-volailles", v("500", "500 g", G, "500", "11.50")),
            p("PIN", "Pintade fermière", "oeufs-volailles", v("PC", "pièce", PIECE, "1", "18.90")),
            p(
                "CAN",
                "Canette de Barbarie",
                "oeufs-volailles",
                v("PC", "pièce", PIECE, "1", "21.00"),
            ),
            p("DIN", "Escalopes de dinde", "oeufs-volailles", v("500", "500 g", G, "500", "9.80")),
            p(
                "CHP",
                "Chapon (sur commande)",
                "oeufs-volailles",
                v("PC", "pièce", PIECE, "1", "45.00"),
                on_demand=True,
                description="Pour les fêtes : commande avant le 10 décembre.",
            ),
            p(
                "RIL",
                "Rillettes de poulet",
                "oeufs-volailles",
                v("180", "pot de 180 g", G, "180", "4.90"),
            ),
        ),
    ),
    DemoProducer(
        slug="brasserie-des-monts-de-flandre",
        code="BMF",
        name="Brasserie des Monts de Flandre",
        address="Rue du Musée",
        postcode="59270",
        city="Bailleul",
        description=(
            "Une petite brasserie au pied du Mont Noir, brassée avec le houblon des "
            "houblonnières de Bailleul et le malt d'orge des Flandres. Bières non filtrées, "
            "refermentées en bouteille."
        ),
        hubs=BOTH,
        labels=("local",),
        vat=STANDARD,  # alcohol
        products=(
            p(
                "BLO",
                "Blonde des Monts",
                "boissons",
                v("33", "bouteille 33 cl", CL, "33", "2.90"),
                v("75", "bouteille 75 cl", CL, "75", "5.50"),
            ),
            p(
                "AMB",
                "Ambrée des Flandres",
                "boissons",
                v("33", "bouteille 33 cl", CL, "33", "2.90"),
                v("75", "bouteille 75 cl", CL, "75", "5.50"),
            ),
            p(
                "BLA",
                "Blanche au houblon",
                "boissons",
                v("33", "bouteille 33 cl", CL, "33", "2.80"),
            ),
            p(
                "TRI",
                "Triple",
                "boissons",
                v("33", "bouteille 33 cl", CL, "33", "3.30"),
                v("75", "bouteille 75 cl", CL, "75", "6.20"),
            ),
            p("IPA", "IPA du Mont Noir", "boissons", v("33", "bouteille 33 cl", CL, "33", "3.40")),
            p("BDG", "Bière de garde", "boissons", v("75", "bouteille 75 cl", CL, "75", "5.90")),
            p("STO", "Stout au café", "boissons", v("33", "bouteille 33 cl", CL, "33", "3.40")),
            # No alcohol: a reduced-rate drink.
            p(
                "LIM",
                "Limonade artisanale",
                "boissons",
                v("33", "bouteille 33 cl", CL, "33", "2.20"),
                vat=REDUCED,
            ),
        ),
    ),
    DemoProducer(
        slug="ferme-des-hauts-champs",
        code="FHC",
        name="Ferme des Hauts Champs",
        address="Rue de l'Abbaye",
        postcode="59133",
        city="Phalempin",
        description=(
            "Porcs élevés en plein air sur paille, en lisière de la forêt de Phalempin. "
            "Découpe, charcuterie et plats cuisinés faits à la ferme."
        ),
        hubs=BOTH,
        labels=("bienvenue-a-la-ferme", "local"),
        products=(
            p(
                "COT",
                "Côtes de porc",
                "viandes-charcuterie",
                v("500", "500 g (2 côtes)", G, "500", "7.90"),
                v("1K", "1 kg", KG, "1", "15.20"),
            ),
            p(
                "ROT",
                "Rôti de porc dans l'échine",
                "viandes-charcuterie",
                v("1K", "environ 1 kg", KG, "1", "16.50"),
            ),
            p(
                "MIG",
                "Filet mignon",
                "viandes-charcuterie",
                v("500", "pièce de 500 g", G, "500", "12.90"),
            ),
            p(
                "SAU",
                "Saucisses fermières",
                "viandes-charcuterie",
                v("500", "500 g", G, "500", "8.20"),
            ),
            p("CHI", "Chipolatas", "viandes-charcuterie", v("500", "500 g", G, "500", "8.40")),
            p("LAR", "Lardons fumés", "viandes-charcuterie", v("200", "200 g", G, "200", "3.60")),
            p(
                "POI",
                "Poitrine fumée tranchée",
                "viandes-charcuterie",
                v("250", "250 g", G, "250", "4.80"),
            ),
            p(
                "JAM",
                "Jambon blanc",
                "viandes-charcuterie",
                v("4T", "4 tranches (200 g)", G, "200", "5.40"),
            ),
            p(
                "PAT",
                "Pâté de campagne",
                "viandes-charcuterie",
                v("200", "terrine de 200 g", G, "200", "4.20"),
                v("400", "terrine de 400 g", G, "400", "7.90"),
            ),
            p(
                "RIL",
                "Rillettes de porc",
                "viandes-charcuterie",
                v("200", "pot de 200 g", G, "200", "4.50"),
            ),
            p("BOU", "Boudin noir", "viandes-charcuterie", v("500", "500 g", G, "500", "7.90")),
            p(
                "POT",
                "Potjevleesch",
                "viandes-charcuterie",
                v("400", "bocal de 400 g", G, "400", "9.50"),
                description=(
                    "Terrine flamande de quatre viandes en gelée, à manger froid avec des frites."
                ),
            ),
            p(
                "CAR",
                "Carbonnade flamande",
                "viandes-charcuterie",
                v("2P", "barquette 2 parts", PIECE, "1", "12.90"),
                vat=INTERMEDIATE,
                description="Plat cuisiné à la bière brune et au pain d'épices.",
            ),
            p(
                "COL",
                "Colis découverte",
                "viandes-charcuterie",
                v("5K", "caissette de 5 kg", KG, "5", "75.00"),
                on_demand=True,
                description=(
                    "Côtes, rôti, saucisses, lardons et pâté : de quoi remplir le congélateur."
                ),
            ),
        ),
    ),
    DemoProducer(
        slug="caves-de-lezennes",
        code="CLZ",
        name="Les Caves de Lezennes",
        address="Rue Marcel Sembat",
        postcode="59260",
        city="Lezennes",
        description=(
            "Des champignons cultivés dans les anciennes carrières de craie sous Lezennes, "
            "à température constante toute l'année."
        ),
        hubs=BOTH,
        labels=("local",),
        products=(
            p(
                "CPB",
                "Champignons de Paris blancs",
                "legumes",
                v("250", "barquette de 250 g", G, "250", "2.40"),
                v("500", "barquette de 500 g", G, "500", "4.40"),
            ),
            p(
                "CPR",
                "Champignons de Paris bruns",
                "legumes",
                v("250", "barquette de 250 g", G, "250", "2.60"),
                v("500", "barquette de 500 g", G, "500", "4.80"),
            ),
            p("PLE", "Pleurotes", "legumes", v("250", "barquette de 250 g", G, "250", "3.50")),
            p("SHI", "Shiitakés", "legumes", v("200", "barquette de 200 g", G, "200", "4.20")),
            p(
                "POE",
                "Poêlée de champignons",
                "legumes",
                v("400", "barquette de 400 g", G, "400", "5.90"),
            ),
            p("SEC", "Champignons séchés", "epicerie", v("30", "sachet de 30 g", G, "30", "5.50")),
        ),
    ),
    DemoProducer(
        slug="pressoir-de-cysoing",
        code="PCY",
        name="Le Pressoir de Cysoing",
        address="Rue de l'Abbaye",
        postcode="59830",
        city="Cysoing",
        description=(
            "Jus et cidres pressés à la ferme avec les pommes hautes tiges de la Pévèle, "
            "sans sucre ajouté ni concentré."
        ),
        hubs=BOTH,
        labels=("hve", "local"),
        products=(
            p(
                "JPO",
                "Jus de pomme",
                "boissons",
                v("1L", "bouteille 1 l", L, "1", "3.20"),
                v("3L", "bag-in-box 3 l", L, "3", "8.90"),
            ),
            p("JPP", "Jus pomme-poire", "boissons", v("1L", "bouteille 1 l", L, "1", "3.40")),
            p("JPR", "Jus pomme-rhubarbe", "boissons", v("1L", "bouteille 1 l", L, "1", "3.60")),
            p(
                "PET",
                "Jus de pomme pétillant",
                "boissons",
                v("75", "bouteille 75 cl", CL, "75", "4.20"),
            ),
            p(
                "CBR",
                "Cidre brut",
                "boissons",
                v("75", "bouteille 75 cl", CL, "75", "4.80"),
                vat=STANDARD,
            ),
            p(
                "CDX",
                "Cidre doux",
                "boissons",
                v("75", "bouteille 75 cl", CL, "75", "4.60"),
                vat=STANDARD,
            ),
            p(
                "POI",
                "Poiré",
                "boissons",
                v("75", "bouteille 75 cl", CL, "75", "5.50"),
                vat=STANDARD,
            ),
            p("VIN", "Vinaigre de cidre", "epicerie", v("50", "bouteille 50 cl", CL, "50", "3.90")),
        ),
    ),
    DemoProducer(
        slug="moulin-de-la-marque",
        code="MDM",
        name="Moulin de la Marque",
        address="Rue du Moulin",
        postcode="59510",
        city="Forest-sur-Marque",
        description=(
            "Blés anciens, seigle et épeautre cultivés en bio autour du moulin et écrasés sur "
            "meule de pierre. Légumineuses et huile de colza de la ferme."
        ),
        hubs=BOTH,
        labels=("ab",),
        on_demand=True,
        products=(
            p(
                "T65",
                "Farine de blé T65",
                "epicerie",
                v("1K", "sachet de 1 kg", KG, "1", "2.40"),
                v("5K", "sac de 5 kg", KG, "5", "10.50"),
            ),
            p(
                "T80",
                "Farine de blé T80",
                "epicerie",
                v("1K", "sachet de 1 kg", KG, "1", "2.60"),
                v("5K", "sac de 5 kg", KG, "5", "11.50"),
            ),
            p(
                "T15",
                "Farine complète T150",
                "epicerie",
                v("1K", "sachet de 1 kg", KG, "1", "2.80"),
            ),
            p(
                "SEI",
                "Farine de seigle T130",
                "epicerie",
                v("1K", "sachet de 1 kg", KG, "1", "3.20"),
            ),
            p("EPE", "Farine d'épeautre", "epicerie", v("1K", "sachet de 1 kg", KG, "1", "4.60")),
            p(
                "SAR",
                "Farine de sarrasin",
                "epicerie",
                v("500", "sachet de 500 g", G, "500", "3.40"),
            ),
            p("AVO", "Flocons d'avoine", "epicerie", v("500", "sachet de 500 g", G, "500", "2.90")),
            p(
                "LEN",
                "Lentilles vertes",
                "epicerie",
                v("500", "sachet de 500 g", G, "500", "3.80"),
                on_demand=False,
            ),
            p(
                "PCA",
                "Pois cassés",
                "epicerie",
                v("500", "sachet de 500 g", G, "500", "3.30"),
                on_demand=False,
            ),
            p(
                "HCO",
                "Huile de colza première pression à froid",
                "epicerie",
                v("50", "bouteille 50 cl", CL, "50", "4.90"),
                v("1L", "bouteille 1 l", L, "1", "8.50"),
                on_demand=False,
            ),
        ),
    ),
    DemoProducer(
        slug="chicons-de-wavrin",
        code="CDW",
        name="Les Chicons de Wavrin",
        address="Rue du Marais",
        postcode="59136",
        city="Wavrin",
        description=(
            "Endives de pleine terre, forcées sous paille comme autrefois : moins "
            "régulières, bien plus goûteuses. Et la chicorée torréfiée du Nord."
        ),
        hubs=LILLE_SUD,
        labels=("hve", "local"),
        products=(
            p(
                "END",
                "Endives de pleine terre",
                "legumes",
                v("500", "500 g", G, "500", "2.60"),
                v("1K", "1 kg", KG, "1", "4.90"),
                v("5K", "cagette de 5 kg", KG, "5", "21.00", on_demand=True),
                description="Les chicons, forcés en pleine terre sous paille.",
            ),
            p("ERO", "Endives rouges", "legumes", v("500", "500 g", G, "500", "3.40")),
            p(
                "CJA",
                "Chicons au jambon",
                "viandes-charcuterie",
                v("2P", "barquette 2 parts", PIECE, "1", "11.50"),
                vat=INTERMEDIATE,
                description="Gratin de chicons au jambon et à la béchamel, à réchauffer.",
            ),
            p(
                "CHC",
                "Chicorée torréfiée en grains",
                "epicerie",
                v("250", "sachet de 250 g", G, "250", "3.90"),
            ),
        ),
    ),
]

# --- Pickup points --------------------------------------------------------------------------

PICKUP_POINTS = [
    {
        "slug": "la-bobine-wazemmes",
        "name": "Café associatif La Bobine",
        "tiers_lieu": "La Bobine, café associatif de Wazemmes",
        "address": "12 rue des Sarrazins",
        "postcode": "59000",
        "city": "Lille",
        "access_info": (
            "Entrée par la porte vitrée côté rue ; les paniers attendent dans l'arrière-salle, "
            "à gauche du comptoir. De plain-pied, accessible en fauteuil. Métro ligne 1, "
            "station Gambetta (5 minutes à pied)."
        ),
        "opening_notes": (
            "Retrait le vendredi de 17 h à 19 h 30. Les jours fériés, le retrait est décalé "
            "au samedi de 10 h à 12 h."
        ),
        "hubs": LILLE_SUD,
    },
    {
        "slug": "la-chaudronnerie-fives",
        "name": "Tiers-lieu La Chaudronnerie",
        "tiers_lieu": "La Chaudronnerie, tiers-lieu de Fives",
        "address": "45 rue Pierre Legrand",
        "postcode": "59800",
        "city": "Lille",
        "access_info": (
            "Grand portail vert, puis la halle au fond de la cour. Le code du portail est "
            "envoyé par SMS la veille. Arceaux à vélos dans la cour. Métro ligne 1, station "
            "Fives."
        ),
        "opening_notes": (
            "Retrait le jeudi de 17 h 30 à 20 h pour les deux drives. En juillet et en août, "
            "de 18 h à 19 h 30 seulement."
        ),
        "hubs": BOTH,
    },
    {
        "slug": "le-grand-atelier-roubaix",
        "name": "Ressourcerie Le Grand Atelier",
        "tiers_lieu": "Le Grand Atelier, ressourcerie",
        "address": "27 rue de l'Épeule",
        "postcode": "59100",
        "city": "Roubaix",
        "access_info": (
            "Entrée par le quai de chargement, dans la rue latérale : sonnez à « Drive ». "
            "Trois marches ; une rampe amovible est disponible sur demande. Métro ligne 2, "
            "station Épeule-Montesquieu."
        ),
        "opening_notes": "Retrait le samedi de 10 h à 12 h 30, pendant l'ouverture de la boutique.",
        "hubs": VDA,
    },
    {
        "slug": "jardin-partage-du-triolo",
        "name": "Jardin partagé du Triolo",
        "tiers_lieu": "Maison de quartier du Triolo",
        "address": "8 rue Jean Jaurès",
        "postcode": "59650",
        "city": "Villeneuve-d'Ascq",
        "access_info": (
            "Au cabanon du jardin, derrière la maison de quartier ; les caisses isothermes sont "
            "sous l'auvent. Métro ligne 1, station Triolo."
        ),
        "opening_notes": (
            "Retrait le mercredi de 16 h 30 à 19 h. Par mauvais temps, dans la grande salle de "
            "la maison de quartier."
        ),
        "hubs": VDA,
    },
]

# --- People -------------------------------------------------------------------------------

ADMIN = DemoAccount("platform admin", f"admin@{DEMO_EMAIL_DOMAIN}", "Sylvie Admin")
MANAGER = DemoAccount("hub manager (Lille-Sud)", f"gestion@{DEMO_EMAIL_DOMAIN}", "Nadia Haddad")
MANAGER_VDA = DemoAccount(
    "hub manager (Villeneuve-d'Ascq)", f"gestion.vda@{DEMO_EMAIL_DOMAIN}", "Thomas Vandenbussche"
)
PRODUCER_MEMBER = DemoAccount(
    "producer member (Les Jardins du Mélantois)",
    f"producteur@{DEMO_EMAIL_DOMAIN}",
    "Julien Desmet",
)
VOLUNTEER = DemoAccount(
    "volunteer",
    f"benevole@{DEMO_EMAIL_DOMAIN}",
    "Martine Leroy",
    note="volunteer at La Chaudronnerie (Fives): distribution day at /points/",
)
HOUSEHOLD = DemoAccount("household", f"foyer@{DEMO_EMAIL_DOMAIN}", "Camille Dubois")

DEMO_ACCOUNTS = [ADMIN, MANAGER, MANAGER_VDA, PRODUCER_MEMBER, VOLUNTEER, HOUSEHOLD]

HUB_MANAGERS = [(MANAGER, "lille-sud"), (MANAGER_VDA, "villeneuve-d-ascq")]
PRODUCER_MEMBERS = [(PRODUCER_MEMBER, "jardins-du-melantois")]
POINT_VOLUNTEERS = [(VOLUNTEER, "la-chaudronnerie-fives")]

HOUSEHOLD_NAMES = [
    "Hélène Delattre", "Mathieu Lefebvre", "Sophie Vandenbussche", "Karim Benali",
    "Élodie Deschamps", "Julien Lemaire", "Aurélie Duhamel", "Nicolas Vanhoutte",
    "Inès Kaddouri", "Baptiste Delcourt", "Manon Carpentier", "Thibault Lecomte",
    "Léa Devos", "Antoine Declercq", "Chloé Verhaeghe", "Maxime Bouchez",
    "Pauline Lemoine", "Romain Caron", "Émilie Dumortier", "François Hennebelle",
    "Justine Catteau", "Grégory Wallart", "Margaux Deboudt", "Hugo Lambin",
    "Fatima Boukhari", "Quentin Leroux", "Anaïs Nguyen", "Mamadou Diallo",
    "Céline Kowalski", "Jérôme Da Silva", "Laura Mendes", "Sébastien Decottignies",
    "Amandine Vercruysse", "Yannick Dhalluin", "Mélanie Six", "Olivier Delbecque",
    "Nathalie Lepers", "Bruno Vandamme", "Lucie Dewitte", "Kévin Masquelier",
    "Sarah Lahousse", "Frédéric Ryckebusch", "Audrey Mortreux", "Rachid Amrani",
    "Valérie Bonte", "Damien Coppin", "Marion Ducrocq", "Arnaud Plouvier",
    "Clémence Dufour", "Stéphane Delplanque", "Agathe Lesaffre", "Théo Vermeersch",
    "Zoé Delannoy", "Louis Dequidt", "Jeanne Willaume", "Paul Szymanski",
    "Noémie Derache", "Mehdi Saïdi", "Capucine Beugnet", "Gaëlle Taffin",
]  # fmt: skip


def household_email(full_name: str) -> str:
    """``"Jérôme Da Silva"`` → ``jerome.da-silva@demo.foodhub.test``."""
    first, last = full_name.split(" ", 1)
    return f"{slugify(first)}.{slugify(last)}@{DEMO_EMAIL_DOMAIN}"


def household_accounts() -> list[DemoAccount]:
    return [DemoAccount("household", household_email(name), name) for name in HOUSEHOLD_NAMES]


# --- Loading --------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    """How many rows of each kind were created, and how many were already there."""

    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def record(self, kind: str, *, created: int, existing: int) -> None:
        self.created[kind] = self.created.get(kind, 0) + created
        self.existing[kind] = self.existing.get(kind, 0) + existing

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    def lines(self) -> list[str]:
        return [
            f"{kind}: {self.created[kind]} created, {self.existing[kind]} already loaded"
            for kind in self.created
        ]


@transaction.atomic
def load_demo_data(*, stdout: TextIO | None = None, now: datetime | None = None) -> DemoSummary:
    """Create the demo world, or whatever part of it is missing.

    1. Categories, labels, hubs, producers and pickup points, keyed on their slugs.
    2. Products keyed on (producer, name), their labels, then variants keyed on
       (product, name), in bulk.
    3. Users keyed on e-mail, all sharing one password hash (hashing sixty times would take
       longer than everything else), their verified primary e-mail addresses for allauth,
       and the hub and producer memberships of the role accounts.
    4. For each hub, a closed cycle ready to distribute and an open one, with orders
       (``orders.demo``), as the worker would have left them at ``now`` (the clock's
       time unless given): the first tick has nothing to do for the past cycle.
    """
    summary = DemoSummary()
    categories = _create_missing_by_slug(summary, "categories", Category, _category_rows())
    labels = _create_missing_by_slug(summary, "labels", Label, _label_rows())
    hubs = _create_missing_by_slug(summary, "hubs", Hub, HUBS)
    producers = _create_missing_by_slug(summary, "producers", Producer, _producer_rows())
    _link(
        summary,
        "hub producers",
        Hub.producers.through,
        "hub_id",
        "producer_id",
        [(hubs[h].pk, producers[d.slug].pk) for d in PRODUCERS for h in d.hubs],
    )
    points = _create_missing_by_slug(
        summary,
        "pickup points",
        PickupPoint,
        # Run by the first hub named; the others share it (La Chaudronnerie: both hubs).
        [
            {**{k: v for k, v in row.items() if k != "hubs"}, "owner_hub": hubs[row["hubs"][0]]}
            for row in PICKUP_POINTS
        ],
    )
    _link(
        summary,
        "pickup point hubs",
        PickupPoint.hubs.through,
        "pickuppoint_id",
        "hub_id",
        [(points[row["slug"]].pk, hubs[h].pk) for row in PICKUP_POINTS for h in row["hubs"]],
    )
    _load_catalogue(summary, producers, categories, labels)
    users = _load_people(summary, hubs, producers)
    _memberships(
        summary,
        "pickup point volunteers",
        PickupPointMembership,
        "pickup_point",
        [(points[slug], users[account.email]) for account, slug in POINT_VOLUNTEERS],
    )
    load_demo_cycles(
        hubs=[hubs[row["slug"]] for row in HUBS],
        households=[users[account.email] for account in [HOUSEHOLD, *household_accounts()]],
        summary=summary,
        now=now,
    )

    if stdout is not None:
        for line in summary.lines():
            stdout.write(line + "\n")
    return summary


def _category_rows() -> list[dict]:
    return [
        {"slug": slug, "name": name, "position": (index + 1) * 10}
        for index, (slug, name) in enumerate(CATEGORIES)
    ]


def _label_rows() -> list[dict]:
    return [{"slug": slug, "name": name} for slug, name in LABELS]


def _producer_rows() -> list[dict]:
    return [
        {
            "slug": d.slug,
            "name": d.name,
            "address": d.address,
            "postcode": d.postcode,
            "city": d.city,
            "description": d.description,
            "email": f"{d.slug}@{DEMO_EMAIL_DOMAIN}",
        }
        for d in PRODUCERS
    ]


def _create_missing_by_slug(summary, kind, model, rows: list[dict]) -> dict[str, models.Model]:
    """Create the rows whose slug is missing; return every row by slug."""
    found = model.objects.in_bulk([row["slug"] for row in rows], field_name="slug")
    missing = [model(**row) for row in rows if row["slug"] not in found]
    model.objects.bulk_create(missing)
    summary.record(kind, created=len(missing), existing=len(rows) - len(missing))
    return {**found, **{obj.slug: obj for obj in missing}}


def _link(summary, kind, through, left: str, right: str, pairs: Iterable[tuple[int, int]]):
    """Create the missing rows of a many-to-many table given (left pk, right pk) pairs."""
    pairs = list(dict.fromkeys(pairs))
    lefts = {a for a, _ in pairs}
    found = set(through.objects.filter(**{f"{left}__in": lefts}).values_list(left, right))
    missing = [pair for pair in pairs if pair not in found]
    through.objects.bulk_create([through(**{left: a, right: b}) for a, b in missing])
    summary.record(kind, created=len(missing), existing=len(pairs) - len(missing))


def _load_catalogue(summary, producers, categories, labels) -> None:
    # Products, keyed on (producer, name).
    found = {
        (product.producer_id, product.name): product
        for product in Product.objects.filter(producer__in=producers.values())
    }
    new_products = []
    for demo in PRODUCERS:
        producer = producers[demo.slug]
        for item in demo.products:
            if (producer.pk, item.name) not in found:
                new_products.append(
                    Product(
                        producer=producer,
                        name=item.name,
                        description=item.description,
                        category=categories[item.category],
                        is_active=item.active,
                    )
                )
    Product.objects.bulk_create(new_products)
    products = {
        **found,
        **{(product.producer_id, product.name): product for product in new_products},
    }
    total = sum(len(demo.products) for demo in PRODUCERS)
    summary.record("products", created=len(new_products), existing=total - len(new_products))

    _link(
        summary,
        "product labels",
        Product.labels.through,
        "product_id",
        "label_id",
        [
            (products[producers[demo.slug].pk, item.name].pk, labels[slug].pk)
            for demo in PRODUCERS
            for item in demo.products
            for slug in (*demo.labels, *item.labels)
        ],
    )

    # Variants, keyed on (product, name).
    found_variants = set(
        Variant.objects.filter(product__in=[p.pk for p in products.values()]).values_list(
            "product_id", "name"
        )
    )
    new_variants = []
    total = 0
    for demo in PRODUCERS:
        producer = producers[demo.slug]
        for item in demo.products:
            product = products[producer.pk, item.name]
            for variant in item.variants:
                total += 1
                if (product.pk, variant.name) in found_variants:
                    continue
                new_variants.append(_build_variant(demo, item, variant, product))
    Variant.objects.bulk_create(new_variants)
    summary.record("variants", created=len(new_variants), existing=total - len(new_variants))
    # Bulk writes send no signals: the shop's search texts are written here.
    refresh_search_texts(Variant.objects.filter(product__producer__in=producers.values()))


def _build_variant(demo: DemoProducer, item: DemoProduct, variant: DemoVariant, product):
    sku = f"{demo.code}-{item.code}-{variant.code}"
    on_demand = next(
        flag for flag in (variant.on_demand, item.on_demand, demo.on_demand) if flag is not None
    )
    return Variant(
        product=product,
        name=variant.name,
        unit=variant.unit,
        quantity_per_unit=Decimal(variant.quantity),
        price=Decimal(variant.price),
        vat_rate=variant.vat or item.vat or demo.vat,
        stock_mode=StockMode.ON_DEMAND if on_demand else StockMode.COUNTED,
        # A stable, varied stock (6 to 35) so that runs and machines agree.
        stock_quantity=0 if on_demand else 6 + zlib.crc32(sku.encode()) % 30,
        sku=sku,
    )


def _load_people(summary, hubs, producers) -> dict[str, User]:
    accounts = [*DEMO_ACCOUNTS, *household_accounts()]
    emails = [account.email for account in accounts]
    found = User.objects.in_bulk(emails, field_name="email")
    missing = [account for account in accounts if account.email not in found]
    # Hash once for everyone (and not at all on a re-run): PBKDF2 is slow on purpose.
    password = make_password(DEMO_PASSWORD) if missing else ""
    new_users = [
        User(
            email=account.email,
            full_name=account.full_name,
            password=password,
            is_staff=account is ADMIN,
            is_superuser=account is ADMIN,
        )
        for account in missing
    ]
    User.objects.bulk_create(new_users)
    summary.record("users", created=len(new_users), existing=len(accounts) - len(new_users))
    users = {**found, **{user.email: user for user in new_users}}

    # allauth only lets people log in with a verified address when verification is mandatory.
    known = set(EmailAddress.objects.filter(email__in=emails).values_list("email", flat=True))
    with_primary = set(
        EmailAddress.objects.filter(user__in=users.values(), primary=True).values_list(
            "user_id", flat=True
        )
    )
    new_addresses = [
        EmailAddress(
            user=users[email],
            email=email,
            verified=True,
            primary=users[email].pk not in with_primary,
        )
        for email in emails
        if email not in known
    ]
    EmailAddress.objects.bulk_create(new_addresses)
    summary.record(
        "e-mail addresses",
        created=len(new_addresses),
        existing=len(emails) - len(new_addresses),
    )

    _memberships(
        summary,
        "hub managers",
        HubMembership,
        "hub",
        [(hubs[slug], users[account.email]) for account, slug in HUB_MANAGERS],
    )
    _memberships(
        summary,
        "producer members",
        ProducerMembership,
        "producer",
        [(producers[slug], users[account.email]) for account, slug in PRODUCER_MEMBERS],
    )
    return users


def _memberships(summary, kind, model, target: str, pairs) -> None:
    created = 0
    for obj, user in pairs:
        _, was_created = model.objects.get_or_create(**{target: obj, "user": user})
        created += was_created
    summary.record(kind, created=created, existing=len(pairs) - created)
