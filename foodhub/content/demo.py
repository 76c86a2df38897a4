"""The demo's public pages: the words and photos of the Lille-area demo world.

``foodhub.hubs.demo_data`` creates the hubs, producers and pickup points in bulk (no signal
runs); ``load_demo_pages`` sets up their pages, then writes them: the home page, each hub's
story and team, a portrait of every demo producer, a page per pickup point and hub, news
and a "who we are" page, in French, with English translations of the main pages.

It only writes a page that still has what the set-up gave it (one revision, the demo
fields empty) and only translates an English copy that is still an alias, so running it
again changes nothing and never overwrites what an editor wrote. Photos are drawn with
Pillow (fields under a sky, the same for the same name) rather than shipped as files.
"""

import random
import zlib
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO

from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter
from wagtail.actions.convert_alias import ConvertAliasPageAction
from wagtail.images import get_image_model
from wagtail.models import Collection, Page

from foodhub.hubs.demo_data import PICKUP_POINTS, PRODUCERS
from foodhub.hubs.models import Hub
from pickup_points.models import PickupPoint
from producers.models import Producer

from . import editors
from .models import (
    EditorGroup,
    HubPage,
    NewsIndexPage,
    NewsPage,
    PickupPointPage,
    ProducerPage,
    StandardPage,
)

# --- Photos ---------------------------------------------------------------------------------

PHOTO_SIZE = (1200, 800)
SKIES = {
    "clair": ((104, 160, 218), (226, 236, 244)),
    "voile": ((150, 166, 186), (222, 226, 230)),
    "soir": ((86, 104, 168), (246, 196, 146)),
    "cave": ((46, 42, 38), (128, 118, 104)),
}
GROUNDS = {
    "legumes": [(92, 135, 58), (116, 86, 58), (134, 168, 72)],
    "prairie": [(98, 150, 62), (112, 162, 70), (86, 136, 54)],
    "ble": [(214, 180, 92), (196, 160, 80), (226, 196, 110)],
    "verger": [(86, 130, 60), (104, 148, 66), (150, 60, 50)],
    "colza": [(236, 208, 60), (120, 150, 60), (230, 200, 50)],
    "terre": [(120, 88, 60), (104, 76, 52), (136, 100, 68)],
    "houblon": [(70, 120, 60), (96, 140, 70), (120, 90, 60)],
    "craie": [(200, 196, 184), (176, 170, 158), (150, 146, 136)],
    "ville": [(150, 140, 130), (120, 112, 104), (170, 160, 146)],
}


def draw_photo(seed: str, *, sky: str = "clair", ground: str = "legumes") -> bytes:
    """A JPEG of fields running to the horizon: the same seed always gives the same photo."""
    width, height = PHOTO_SIZE
    rnd = random.Random(zlib.crc32(seed.encode()))
    top, bottom = SKIES[sky]
    colours = GROUNDS[ground]
    outdoors = sky != "cave"
    horizon = int(height * rnd.uniform(0.38, 0.55))

    # 1. The sky: a vertical gradient from its top colour to the horizon's.
    canvas = PILImage.new("RGB", PHOTO_SIZE, colours[0])
    mask = PILImage.linear_gradient("L").resize((width, horizon))
    sky_band = PILImage.composite(
        PILImage.new("RGB", (width, horizon), bottom),
        PILImage.new("RGB", (width, horizon), top),
        mask,
    )
    canvas.paste(sky_band, (0, 0))
    draw = ImageDraw.Draw(canvas)
    # 2. The sun, and a hedge of trees along the horizon.
    if outdoors:
        x, y, r = rnd.randint(100, width - 100), rnd.randint(60, horizon - 80), rnd.randint(30, 60)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 244, 214))
        x = rnd.randint(-40, 40)
        while x < width:
            tree_w, tree_h = rnd.randint(30, 90), rnd.randint(15, 60)
            green = (40 + rnd.randint(0, 30), 80 + rnd.randint(0, 30), 40)
            draw.ellipse((x, horizon - tree_h, x + tree_w, horizon + 10), fill=green)
            x += tree_w + rnd.randint(-15, 60)
    # 3. The fields: bands converging on a vanishing point on the horizon.
    vanishing = rnd.randint(width // 3, 2 * width // 3)
    bands = rnd.randint(8, 16)
    for i in range(bands + 1):
        left = -width + i * 3 * width // bands
        right = -width + (i + 1) * 3 * width // bands
        draw.polygon(
            [(vanishing, horizon), (left, height), (right, height)],
            fill=colours[i % len(colours)],
        )
    draw.rectangle((0, horizon, width, horizon + 4), fill=colours[-1])
    canvas = canvas.filter(ImageFilter.GaussianBlur(1.5))
    out = BytesIO()
    canvas.save(out, "JPEG", quality=80)
    return out.getvalue()


def _image(
    title: str, slug: str, collection: Collection, *, sky: str = "clair", ground: str = "legumes"
):
    Image = get_image_model()
    data = draw_photo(slug, sky=sky, ground=ground)
    image = Image(
        title=title,
        file=ImageFile(BytesIO(data), name=f"demo-{slug}.jpg"),
        collection=collection,
    )
    image.save()
    return image


# --- Words ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Portrait:
    """What a demo producer says of itself, in French, then in English."""

    ground: str
    intro: str
    portrait: str
    practices: str
    alt: str
    photo_alt: str
    caption: str
    intro_en: str
    portrait_en: str
    practices_en: str
    alt_en: str
    photo_alt_en: str
    caption_en: str
    sky: str = "clair"


PORTRAITS = {
    "jardins-du-melantois": Portrait(
        ground="legumes",
        intro=(
            "Maraîchage bio diversifié à Péronne-en-Mélantois : une cinquantaine de légumes "
            "de saison, récoltés la veille du retrait."
        ),
        portrait=(
            "<p>Julien Desmet s'est installé en 2014 sur d'anciennes terres à betteraves, "
            "entre Lille et Tournai. Avec Sarah et deux salariés, il cultive aujourd'hui six "
            "hectares en plein champ et 2 000 m² sous tunnel.</p>"
            "<p>Ce qui le fait tenir ? « Voir les mêmes familles revenir chaque semaine au "
            "retrait, et parler cuisine avec elles. » Le panier de saison est né de ces "
            "conversations.</p>"
        ),
        practices=(
            "<ul><li>Certifiés en agriculture biologique depuis 2016.</li>"
            "<li>Rotations longues, engrais verts et fumier de la Fromagerie des Weppes.</li>"
            "<li>Récolte la veille du retrait : rien ne dort plus de deux jours en chambre "
            "froide.</li></ul>"
        ),
        alt="Rangs de poireaux et de choux dans un champ plat, des haies au loin.",
        photo_alt="Un champ labouré au printemps, avant les plantations.",
        caption="Les parcelles du bas, en avril.",
        intro_en=(
            "A diversified organic market garden in Péronne-en-Mélantois: about fifty "
            "seasonal vegetables, picked the day before collection."
        ),
        portrait_en=(
            "<p>Julien Desmet took over former sugar-beet land between Lille and Tournai in "
            "2014. With Sarah and two employees, he now grows six hectares in the open and "
            "2,000 m² under polytunnels.</p><p>“Seeing the same families every week and "
            "talking about cooking with them keeps me going.”</p>"
        ),
        practices_en=(
            "<ul><li>Certified organic since 2016.</li><li>Long rotations, green manure and "
            "manure from the Fromagerie des Weppes.</li></ul>"
        ),
        alt_en="Rows of leeks and cabbages in a flat field, hedges in the distance.",
        photo_alt_en="A ploughed field in spring, before planting.",
        caption_en="The lower plots, in April.",
    ),
    "fromagerie-des-weppes": Portrait(
        ground="prairie",
        intro=(
            "Quarante vaches au pâturage à Aubers, et tout le lait transformé à la ferme : "
            "yaourts, beurre baratté, tommes affinées en cave."
        ),
        portrait=(
            "<p>À la Fromagerie des Weppes, on est éleveurs de père en fille depuis trois "
            "générations. Claire Delobel a repris la ferme en 2011 et a choisi de ne plus "
            "vendre son lait à la laiterie : tout est transformé sur place.</p>"
            "<p>Les bleues du Nord, race locale presque disparue dans les années 1980, "
            "reviennent peu à peu dans le troupeau. Leur lait riche fait la tomme des "
            "Weppes, affinée huit semaines.</p>"
        ),
        practices=(
            "<ul><li>Pâturage d'avril à novembre, foin de la ferme l'hiver.</li>"
            "<li>Pas d'ensilage de maïs ni de soja importé.</li>"
            "<li>Lait cru pour les fromages, pasteurisation douce pour les yaourts.</li></ul>"
        ),
        alt="Une prairie verte bordée de saules têtards, sous un ciel voilé.",
        photo_alt="Le pré derrière l'étable, au petit matin.",
        caption="Le pré des génisses.",
        sky="voile",
        intro_en=(
            "Forty cows out at pasture in Aubers, and all the milk made into yoghurt, "
            "churned butter and cave-aged cheese on the farm."
        ),
        portrait_en=(
            "<p>Claire Delobel took over the family farm in 2011 and stopped selling milk to "
            "the dairy: everything is now made on site.</p><p>Bleue du Nord cows, a local "
            "breed that nearly disappeared in the 1980s, are coming back into the herd.</p>"
        ),
        practices_en=(
            "<ul><li>Grazing from April to November, the farm's own hay in winter.</li>"
            "<li>No maize silage, no imported soya.</li></ul>"
        ),
        alt_en="A green meadow lined with pollarded willows, under a hazy sky.",
        photo_alt_en="The meadow behind the cowshed, early in the morning.",
        caption_en="The heifers' meadow.",
    ),
    "chevrerie-du-mont-noir": Portrait(
        ground="prairie",
        intro=(
            "Soixante chèvres alpines sur les pentes du Mont Noir, et des fromages au lait "
            "cru moulés à la louche."
        ),
        portrait=(
            "<p>Anne et Pieter se sont rencontrés dans une fromagerie de la Flandre belge, "
            "à dix kilomètres de là. En 2017, ils ont repris une petite ferme sur le versant "
            "français du Mont Noir.</p>"
            "<p>Leurs chèvres sortent dès que l'herbe est là ; la traite se fait deux fois "
            "par jour, et les fromages sont moulés à la louche dans la foulée.</p>"
        ),
        practices=(
            "<ul><li>Mention Nature &amp; Progrès.</li>"
            "<li>Les chevreaux restent sous la mère au moins un mois.</li>"
            "<li>Affinage de quelques jours à six semaines, sans conservateur.</li></ul>"
        ),
        alt="Une pente herbeuse qui monte vers un bois, à la frontière belge.",
        photo_alt="Le pâturage des chèvres au-dessus de la ferme.",
        caption="Le versant nord du Mont Noir.",
        intro_en=(
            "Sixty Alpine goats on the slopes of the Mont Noir, and raw-milk cheeses "
            "ladled into their moulds by hand."
        ),
        portrait_en=(
            "<p>Anne and Pieter met in a cheese dairy in Belgian Flanders. In 2017 they took "
            "over a small farm on the French side of the Mont Noir, where their goats graze "
            "as soon as the grass is up.</p>"
        ),
        practices_en=(
            "<ul><li>Nature &amp; Progrès label.</li><li>Kids stay with their mothers for at "
            "least a month.</li></ul>"
        ),
        alt_en="A grassy slope rising to a wood, on the Belgian border.",
        photo_alt_en="The goats' pasture above the farm.",
        caption_en="The north side of the Mont Noir.",
    ),
    "fournil-de-la-deule": Portrait(
        ground="ble",
        intro=(
            "Paysans-boulangers à Wambrechies : du levain, des farines du Moulin de la Marque "
            "et un four à bois allumé le jeudi."
        ),
        portrait=(
            "<p>Mehdi et Lucie ont quitté l'un l'informatique, l'autre l'enseignement, pour "
            "faire du pain. Leur fournil occupe une ancienne grange au bord de la Deûle.</p>"
            "<p>Le jeudi, le four chauffe dès quatre heures du matin : on cuit exactement ce "
            "qui a été commandé, et le pain arrive tiède aux points de retrait.</p>"
        ),
        practices=(
            "<ul><li>Farines bio écrasées sur meule de pierre, à 15 km du fournil.</li>"
            "<li>Levain naturel, fermentation longue, pétrissage à la main.</li>"
            "<li>Cuisson à la commande : pas d'invendus.</li></ul>"
        ),
        alt="Un champ de blé doré à perte de vue, sous un ciel de fin de journée.",
        photo_alt="Les blés qui feront la farine du fournil, en juillet.",
        caption="Le blé de population, juste avant la moisson.",
        sky="soir",
        intro_en=(
            "Farmer-bakers in Wambrechies: sourdough, flour from the Moulin de la Marque and "
            "a wood-fired oven lit every Thursday."
        ),
        portrait_en=(
            "<p>Mehdi and Lucie left software and teaching to make bread in an old barn by "
            "the Deûle. On Thursdays they bake exactly what was ordered, so the bread reaches "
            "the pickup points still warm.</p>"
        ),
        practices_en=(
            "<ul><li>Organic stone-ground flour from 15 km away.</li><li>Natural sourdough, "
            "long fermentation, kneaded by hand.</li></ul>"
        ),
        alt_en="A field of golden wheat as far as the eye can see, in the evening light.",
        photo_alt_en="The wheat that will become the bakery's flour, in July.",
        caption_en="Heritage wheat, just before harvest.",
    ),
    "vergers-de-bondues": Portrait(
        ground="verger",
        intro=(
            "Un verger familial de douze hectares à Bondues : vieilles variétés du Nord, "
            "cueillies à la main."
        ),
        portrait=(
            "<p>Chez les Vanhove, on plante des pommiers depuis 1952. Gérard a gardé les "
            "Reinettes des Flandres et les Belle de Boskoop de son père ; sa fille Émilie a "
            "ajouté les cerisiers et les fraises.</p>"
            "<p>Les fruits sont conservés en chambre froide, sans traitement après récolte : "
            "on croque des pommes du verger jusqu'en avril.</p>"
        ),
        practices=(
            "<ul><li>Certification Haute Valeur Environnementale (HVE).</li>"
            "<li>Haies, nichoirs à mésanges et ruches contre les ravageurs.</li>"
            "<li>Aucun traitement de conservation après la cueillette.</li></ul>"
        ),
        alt="Des rangées de pommiers chargés de fruits rouges, dans l'herbe.",
        photo_alt="Les vieux pommiers haute tige du fond du verger.",
        caption="Les Reinettes des Flandres en septembre.",
        intro_en=(
            "A twelve-hectare family orchard in Bondues: old northern varieties, picked by hand."
        ),
        portrait_en=(
            "<p>The Vanhove family has been planting apple trees since 1952. Gérard kept his "
            "father's old varieties; his daughter Émilie added cherries and strawberries.</p>"
        ),
        practices_en=(
            "<ul><li>High Environmental Value (HVE) certification.</li><li>Hedges, bird "
            "boxes and hives instead of pesticides where possible.</li></ul>"
        ),
        alt_en="Rows of apple trees laden with red fruit, in the grass.",
        photo_alt_en="The tall old apple trees at the back of the orchard.",
        caption_en="Reinette des Flandres apples in September.",
    ),
    "miellerie-de-la-lys": Portrait(
        ground="colza",
        intro=(
            "Deux cents ruches chez les maraîchers et dans les bois du Nord, des miels "
            "extraits à froid et des confitures cuites en petites bassines."
        ),
        portrait=(
            "<p>Sébastien Caron a commencé avec trois ruches au fond du jardin de sa "
            "grand-mère, à Erquinghem-Lys. Vingt ans plus tard, ses abeilles butinent le "
            "colza de la plaine, les tilleuls des bords de Lys et les ronces des bois.</p>"
            "<p>Ses ruches sont accueillies par des fermes voisines : les abeilles "
            "pollinisent, les fermiers reçoivent leur miel.</p>"
        ),
        practices=(
            "<ul><li>Extraction à froid, sans chauffage ni filtration fine.</li>"
            "<li>Pas de nourrissement au sirop sauf en hiver difficile.</li>"
            "<li>Confitures à 55 % de fruits des fermes voisines.</li></ul>"
        ),
        alt="Un champ de colza jaune vif au printemps, sous un ciel bleu.",
        photo_alt="Des ruches au bord d'une parcelle de colza.",
        caption="Le rucher de la plaine, en avril.",
        intro_en=(
            "Two hundred hives on vegetable farms and in northern woods, cold-extracted honey "
            "and jams cooked in small pans."
        ),
        portrait_en=(
            "<p>Sébastien Caron started with three hives in his grandmother's garden. Twenty "
            "years on, his bees forage rapeseed, lime trees along the Lys and woodland "
            "brambles, hosted by neighbouring farms.</p>"
        ),
        practices_en=(
            "<ul><li>Cold extraction, no heating, no fine filtering.</li><li>Jams with 55 % "
            "fruit from nearby farms.</li></ul>"
        ),
        alt_en="A field of bright yellow rapeseed in spring, under a blue sky.",
        photo_alt_en="Beehives at the edge of a rapeseed field.",
        caption_en="The plain apiary, in April.",
    ),
    "ferme-du-pont-de-pierre": Portrait(
        ground="prairie",
        intro=(
            "Poules et volailles élevées en plein air au bord de la Lys, nourries avec les "
            "céréales de la ferme."
        ),
        portrait=(
            "<p>À Bousbecque, la Ferme du Pont de Pierre élève huit cents poules pondeuses et "
            "quelques centaines de poulets, pintades et canettes par saison.</p>"
            "<p>Hélène et Olivier Deleplanque font tout eux-mêmes, de l'aliment à la découpe, "
            "dans un petit atelier agréé à la ferme.</p>"
        ),
        practices=(
            "<ul><li>Parcours herbeux et ombragés, au moins 4 m² par poule.</li>"
            "<li>Aliment fabriqué à la ferme avec notre blé, notre maïs et du pois.</li>"
            "<li>Poulets élevés au moins 110 jours.</li></ul>"
        ),
        alt="Un parcours herbeux en pente douce vers la Lys, quelques arbres.",
        photo_alt="Le parcours des poules pondeuses derrière les bâtiments.",
        caption="Le parcours des pondeuses.",
        intro_en=("Free-range hens and poultry by the river Lys, fed with the farm's own grain."),
        portrait_en=(
            "<p>In Bousbecque, Hélène and Olivier Deleplanque raise eight hundred laying hens "
            "and a few hundred chickens, guinea fowl and ducks a season, from feed to "
            "butchery.</p>"
        ),
        practices_en=(
            "<ul><li>Grassy, shaded runs, at least 4 m² per hen.</li><li>Chickens raised for "
            "at least 110 days.</li></ul>"
        ),
        alt_en="A grassy run sloping gently towards the Lys, with a few trees.",
        photo_alt_en="The laying hens' run behind the farm buildings.",
        caption_en="The hens' run.",
    ),
    "brasserie-des-monts-de-flandre": Portrait(
        ground="houblon",
        intro=(
            "Une petite brasserie au pied du Mont Noir : houblon de Bailleul, malt des "
            "Flandres, bières refermentées en bouteille."
        ),
        portrait=(
            "<p>Thibaut Verhaeghe a appris à brasser dans la cuisine de ses parents avant "
            "de monter, en 2018, une brasserie de 10 hectolitres dans un ancien hangar à "
            "houblon de Bailleul.</p>"
            "<p>Il travaille avec trois houblonniers des Monts de Flandre et une malterie de "
            "la région : tout ce qui est dans la bouteille vient de moins de 50 km.</p>"
        ),
        practices=(
            "<ul><li>Bières non filtrées, non pasteurisées, refermentées en bouteille.</li>"
            "<li>Drêches données aux éleveurs voisins.</li>"
            "<li>Consigne des bouteilles aux points de retrait.</li></ul>"
        ),
        alt="Des perches de houblon alignées devant les Monts de Flandre.",
        photo_alt="La houblonnière voisine, fin août.",
        caption="La récolte du houblon approche.",
        intro_en=(
            "A small brewery at the foot of the Mont Noir: Bailleul hops, Flanders malt, "
            "bottle-conditioned beers."
        ),
        portrait_en=(
            "<p>Thibaut Verhaeghe learnt to brew in his parents' kitchen before setting up a "
            "10-hectolitre brewery in an old hop shed in Bailleul in 2018. Everything in the "
            "bottle comes from less than 50 km away.</p>"
        ),
        practices_en=(
            "<ul><li>Unfiltered, unpasteurised, bottle-conditioned beers.</li><li>Returnable "
            "bottles at the pickup points.</li></ul>"
        ),
        alt_en="Hop poles in rows in front of the Flemish hills.",
        photo_alt_en="The neighbouring hop garden, late August.",
        caption_en="Hop harvest is near.",
    ),
    "ferme-des-hauts-champs": Portrait(
        ground="terre",
        intro=(
            "Des porcs élevés en plein air sur paille à Phalempin, et une charcuterie faite "
            "à la ferme."
        ),
        portrait=(
            "<p>Au bord de la forêt de Phalempin, François et Amandine Lefebvre élèvent une "
            "centaine de porcs par an, de la naissance à la découpe.</p>"
            "<p>Le potjevleesch et la carbonnade sont cuisinés le mardi selon la recette de "
            "la grand-mère d'Amandine, dans le laboratoire de la ferme.</p>"
        ),
        practices=(
            "<ul><li>Truies en plein air, porcs engraissés sur paille.</li>"
            "<li>Céréales de la ferme, sans OGM.</li>"
            "<li>Abattoir à 25 km, découpe et transformation à la ferme.</li></ul>"
        ),
        alt="Une parcelle de terre brune au bord d'un bois, sous un ciel voilé.",
        photo_alt="Les parcs des truies à la lisière de la forêt.",
        caption="Les parcs en plein air.",
        sky="voile",
        intro_en=(
            "Pigs raised outdoors and on straw in Phalempin, with charcuterie made on the farm."
        ),
        portrait_en=(
            "<p>On the edge of the Phalempin forest, François and Amandine Lefebvre raise "
            "about a hundred pigs a year, from birth to butchery, and cook potjevleesch to a "
            "family recipe.</p>"
        ),
        practices_en=(
            "<ul><li>Sows outdoors, pigs fattened on straw.</li><li>GMO-free grain from the "
            "farm.</li></ul>"
        ),
        alt_en="A plot of brown earth by a wood, under a hazy sky.",
        photo_alt_en="The sows' paddocks at the edge of the forest.",
        caption_en="The outdoor paddocks.",
    ),
    "caves-de-lezennes": Portrait(
        ground="craie",
        intro=(
            "Des champignons cultivés dans les anciennes carrières de craie sous Lezennes, "
            "à 12 °C toute l'année."
        ),
        portrait=(
            "<p>Sous les rues de Lezennes courent des kilomètres de galeries creusées pour "
            "bâtir Lille. Depuis 2019, Karim Haddouche y cultive champignons de Paris, "
            "pleurotes et shiitakés.</p>"
            "<p>Le substrat vient de la paille et du marc de café collectés dans la "
            "métropole ; une fois épuisé, il repart en compost chez les maraîchers.</p>"
        ),
        practices=(
            "<ul><li>Culture sans pesticide, à température et humidité naturelles.</li>"
            "<li>Substrat de paille et de marc de café récupérés.</li>"
            "<li>Récolte le matin même de la livraison.</li></ul>"
        ),
        alt="Une galerie de craie blanche éclairée faiblement, sous terre.",
        photo_alt="Les étagères de culture au fond de la carrière.",
        caption="Les pleurotes, à douze mètres sous terre.",
        sky="cave",
        intro_en=(
            "Mushrooms grown in the old chalk quarries under Lezennes, at 12 °C all year round."
        ),
        portrait_en=(
            "<p>Miles of galleries dug to build Lille run under Lezennes. Since 2019 Karim "
            "Haddouche has grown button mushrooms, oyster mushrooms and shiitake there, on "
            "straw and coffee grounds collected in the city.</p>"
        ),
        practices_en=(
            "<ul><li>No pesticides, natural temperature and humidity.</li><li>Picked on the "
            "morning of delivery.</li></ul>"
        ),
        alt_en="A dimly lit white chalk gallery, underground.",
        photo_alt_en="Growing shelves at the back of the quarry.",
        caption_en="Oyster mushrooms, twelve metres underground.",
    ),
    "pressoir-de-cysoing": Portrait(
        ground="verger",
        intro=(
            "Jus et cidres pressés à la ferme avec les pommes hautes tiges de la Pévèle, "
            "sans sucre ajouté."
        ),
        portrait=(
            "<p>Le Pressoir de Cysoing, c'est d'abord une histoire de voisins : Bertrand "
            "Dumortier presse les pommes des vergers hautes tiges que plus personne ne "
            "ramassait dans la Pévèle.</p>"
            "<p>D'octobre à décembre, le pressoir tourne trois jours par semaine ; le reste "
            "de l'année, on assemble, on met en bouteille et on entretient les vergers.</p>"
        ),
        practices=(
            "<ul><li>Certification HVE, vergers hautes tiges pâturés par des moutons.</li>"
            "<li>Ni sucre ajouté, ni concentré, ni conservateur.</li>"
            "<li>Pasteurisation douce pour les jus, cidres en fermentation naturelle.</li></ul>"
        ),
        alt="Un verger de pommiers hautes tiges dans un pré, en fin de journée.",
        photo_alt="Les pommes tombées, ramassées pour le pressoir.",
        caption="La cueillette d'octobre dans la Pévèle.",
        sky="soir",
        intro_en=(
            "Juices and ciders pressed on the farm from the Pévèle's standard apple trees, "
            "with no added sugar."
        ),
        portrait_en=(
            "<p>Bertrand Dumortier presses apples from the old standard orchards of the "
            "Pévèle that nobody was picking any more. The press runs from October to "
            "December.</p>"
        ),
        practices_en=(
            "<ul><li>HVE certification, orchards grazed by sheep.</li><li>No added sugar, "
            "no concentrate, no preservatives.</li></ul>"
        ),
        alt_en="An orchard of tall apple trees in a meadow, in the evening.",
        photo_alt_en="Windfall apples, gathered for the press.",
        caption_en="October picking in the Pévèle.",
    ),
    "moulin-de-la-marque": Portrait(
        ground="ble",
        intro=(
            "Blés anciens, seigle et épeautre bio, écrasés sur meule de pierre à Forest-sur-Marque."
        ),
        portrait=(
            "<p>Le moulin à eau de Forest-sur-Marque s'était arrêté en 1962. Stéphanie et "
            "Antoine Boucher l'ont remis en route en 2015, avec une meule de pierre et les "
            "céréales qu'ils cultivent autour.</p>"
            "<p>Leurs farines vont au Fournil de la Deûle, à des crêperies lilloises et, "
            "en sachets, dans vos paniers.</p>"
        ),
        practices=(
            "<ul><li>Agriculture biologique, blés de population semés à la ferme.</li>"
            "<li>Mouture lente sur meule de pierre, qui garde le germe.</li>"
            "<li>Légumineuses en rotation pour nourrir le sol.</li></ul>"
        ),
        alt="Un champ de céréales mûres au bord de la Marque.",
        photo_alt="Le seigle en fleur, près du moulin.",
        caption="Le seigle, en juin.",
        intro_en="Heritage wheat, rye and spelt, grown organically and stone-milled.",
        portrait_en=(
            "<p>The watermill of Forest-sur-Marque stopped in 1962. Stéphanie and Antoine "
            "Boucher restarted it in 2015 with a millstone and the grain they grow around "
            "it.</p>"
        ),
        practices_en=(
            "<ul><li>Organic farming, heritage wheat saved on the farm.</li><li>Slow stone "
            "milling that keeps the germ.</li></ul>"
        ),
        alt_en="A field of ripe grain by the river Marque.",
        photo_alt_en="Rye in flower, near the mill.",
        caption_en="Rye in June.",
    ),
    "chicons-de-wavrin": Portrait(
        ground="terre",
        intro=(
            "Des endives de pleine terre, forcées sous paille comme autrefois, et la "
            "chicorée torréfiée du Nord."
        ),
        portrait=(
            "<p>À Wavrin, dans les Weppes, Jean-Marc Hennebelle est l'un des derniers à "
            "forcer ses chicons en pleine terre : les racines sont replantées en novembre "
            "et couvertes de paille et de terre.</p>"
            "<p>C'est plus long et plus irrégulier qu'en culture hydroponique, mais le goût "
            "n'a rien à voir : « un chicon de pleine terre, ça se mange cru, avec rien ».</p>"
        ),
        practices=(
            "<ul><li>Certification HVE.</li>"
            "<li>Forçage en pleine terre sous paille, sans chauffage.</li>"
            "<li>Racines de chicorée torréfiées chez un artisan de Wambrechies.</li></ul>"
        ),
        alt="Des buttes de terre brune couvertes de paille, en plein hiver.",
        photo_alt="Les meules de forçage des chicons, en décembre.",
        caption="Le forçage sous paille.",
        sky="voile",
        intro_en=(
            "Field-forced Belgian endives, grown under straw the old way, and roasted chicory."
        ),
        portrait_en=(
            "<p>In Wavrin, Jean-Marc Hennebelle is one of the last growers to force endives "
            "in the ground under straw. It is slower and less even, but “a field endive can "
            "be eaten raw, with nothing on it”.</p>"
        ),
        practices_en=(
            "<ul><li>HVE certification.</li><li>Forced in the ground under straw, with no "
            "heating.</li></ul>"
        ),
        alt_en="Mounds of brown earth covered in straw, in midwinter.",
        photo_alt_en="The endive forcing beds in December.",
        caption_en="Forcing under straw.",
    ),
}


@dataclass(frozen=True)
class HubStory:
    title_en: str
    ground: str
    intro: str
    story: str
    values: str
    how_it_works: str
    team: tuple[tuple[str, str, str, str, str], ...]  # name, role, about, role_en, about_en
    alt: str
    intro_en: str
    story_en: str
    values_en: str
    how_it_works_en: str
    alt_en: str
    sky: str = "clair"


HUB_STORIES = {
    "lille-sud": HubStory(
        title_en="Lille-Sud farm drive",
        ground="legumes",
        intro=(
            "Une douzaine de fermes à moins de 40 km, une commande par semaine et un retrait "
            "au café associatif de Wazemmes ou au tiers-lieu de Fives."
        ),
        story=(
            "<p>Tout est parti d'un groupement d'achat de douze familles du Faubourg des "
            "Postes, en 2019. Les commandes passaient par un tableur et des SMS ; au bout "
            "d'un an, elles étaient quatre-vingts et le tableur n'en pouvait plus.</p>"
            "<p>Le drive fermier de Lille-Sud est devenu une association en 2021. Il réunit "
            "aujourd'hui des producteurs des Weppes, du Mélantois et des Flandres, et deux "
            "lieux de quartier qui accueillent les retraits.</p>"
        ),
        values=(
            "<ul><li><b>Le juste prix</b> : chaque producteur fixe son prix ; la commission "
            "du drive (8 %) paie le local, le logiciel et une partie du poste de "
            "coordination.</li>"
            "<li><b>Le local</b> : toutes les fermes sont à moins de 40 km de Wazemmes.</li>"
            "<li><b>Pour tout le monde</b> : on peut commander au téléphone ou sur place, et "
            "payer en espèces ou par chèque au retrait.</li></ul>"
        ),
        how_it_works=(
            "<ol><li>Du samedi matin au mardi midi, vous choisissez vos produits en ligne "
            "(ou au café, avec un bénévole).</li>"
            "<li>Le mardi, chaque ferme reçoit sa commande et prépare sa récolte.</li>"
            "<li>Le jeudi, les producteurs livrent ; les bénévoles préparent les paniers.</li>"
            "<li>Vous retirez votre panier au point de retrait choisi, le jeudi ou le "
            "vendredi.</li></ol>"
        ),
        team=(
            (
                "Nadia Haddad",
                "Coordinatrice",
                "Fait le lien entre les fermes, les bénévoles et les lieux de retrait.",
                "Coordinator",
                "Links the farms, the volunteers and the pickup places.",
            ),
            (
                "Karim Benali",
                "Bénévole, logistique du jeudi",
                "Réceptionne les livraisons et organise la préparation des paniers.",
                "Volunteer, Thursday logistics",
                "Receives the deliveries and organises the packing of orders.",
            ),
            (
                "Martine Leroy",
                "Bénévole à La Chaudronnerie",
                "Tient l'émargement du jeudi soir et aide à commander ceux qui n'ont pas "
                "d'ordinateur.",
                "Volunteer at La Chaudronnerie",
                "Runs the Thursday evening list and helps people without a computer to order.",
            ),
        ),
        alt="Des champs de légumes au sud de Lille, par une journée claire.",
        intro_en=(
            "A dozen farms less than 40 km away, one order a week, and collection at a "
            "community café in Wazemmes or a shared space in Fives."
        ),
        story_en=(
            "<p>It started in 2019 as a buying group of twelve families in the Faubourg des "
            "Postes. A year later there were eighty of them, and the spreadsheet gave up. "
            "The drive became an association in 2021.</p>"
        ),
        values_en=(
            "<ul><li><b>A fair price</b>: each farm sets its own price; the drive's 8 % fee "
            "pays for the premises, the software and part of the coordinator's job.</li>"
            "<li><b>Local</b>: every farm is less than 40 km from Wazemmes.</li>"
            "<li><b>For everyone</b>: order by phone or in person, pay cash or by cheque at "
            "collection.</li></ul>"
        ),
        how_it_works_en=(
            "<ol><li>From Saturday morning to Tuesday noon, choose your products online (or "
            "at the café, with a volunteer).</li><li>The farms deliver on Thursday.</li>"
            "<li>Collect your order on Thursday or Friday.</li></ol>"
        ),
        alt_en="Vegetable fields south of Lille on a clear day.",
    ),
    "villeneuve-d-ascq": HubStory(
        title_en="Villeneuve-d'Ascq farm drive",
        ground="colza",
        intro=(
            "Le drive de l'est de la métropole : des produits de la Pévèle, du Mélantois et "
            "des Flandres, retirés au jardin partagé, à la ressourcerie ou à Fives."
        ),
        story=(
            "<p>En 2020, pendant le premier confinement, des habitants du Triolo ont commencé "
            "à aller chercher des légumes à la ferme pour leurs voisins. La tournée ne s'est "
            "jamais arrêtée.</p>"
            "<p>Le drive de Villeneuve-d'Ascq est né de cette entraide. Il s'appuie sur des "
            "lieux qui existaient déjà : la maison de quartier du Triolo, la ressourcerie Le "
            "Grand Atelier à Roubaix et La Chaudronnerie à Fives, qu'il partage avec le "
            "drive de Lille-Sud.</p>"
        ),
        values=(
            "<ul><li><b>L'entraide</b> : les bénévoles livrent les personnes qui ne peuvent "
            "pas se déplacer.</li>"
            "<li><b>La transparence</b> : le prix payé au producteur est affiché à côté du "
            "prix de vente.</li>"
            "<li><b>Le lien</b> : une visite de ferme par saison, ouverte à tous.</li></ul>"
        ),
        how_it_works=(
            "<ol><li>La vente ouvre le vendredi et ferme le lundi soir.</li>"
            "<li>Les fermes livrent le mercredi au jardin du Triolo.</li>"
            "<li>Retrait le mercredi au Triolo, le jeudi à Fives ou le samedi à "
            "Roubaix.</li></ol>"
            "<p>Pas d'ordinateur ? Passez à la permanence du mercredi : on commande "
            "ensemble.</p>"
        ),
        team=(
            (
                "Thomas Vandenbussche",
                "Coordinateur",
                "Ancien maraîcher, il choisit les fermes et organise les tournées.",
                "Coordinator",
                "A former market gardener, he chooses the farms and plans the rounds.",
            ),
            (
                "Léa Catteau",
                "Service civique, accompagnement numérique",
                "Tient la permanence du mercredi pour commander sans ordinateur.",
                "Civic service volunteer, digital help",
                "Runs the Wednesday drop-in for ordering without a computer.",
            ),
            (
                "Bernard Delannoy",
                "Bénévole au jardin du Triolo",
                "Ouvre le cabanon et accueille les familles le mercredi.",
                "Volunteer at the Triolo garden",
                "Opens the garden shed and welcomes families on Wednesdays.",
            ),
        ),
        alt="La plaine de la Pévèle en fleurs, à l'est de Villeneuve-d'Ascq.",
        sky="clair",
        intro_en=(
            "The drive of the east of the metropolis: produce from the Pévèle, the Mélantois "
            "and Flanders, collected at a shared garden, a reuse centre or in Fives."
        ),
        story_en=(
            "<p>In 2020, during the first lockdown, residents of the Triolo started fetching "
            "vegetables from farms for their neighbours. The round never stopped, and the "
            "drive grew out of it.</p>"
        ),
        values_en=(
            "<ul><li><b>Mutual help</b>: volunteers deliver to people who cannot travel.</li>"
            "<li><b>Transparency</b>: the price paid to the farm is shown next to the selling "
            "price.</li></ul>"
        ),
        how_it_works_en=(
            "<ol><li>Orders open on Friday and close on Monday evening.</li><li>Collect on "
            "Wednesday at the Triolo, Thursday in Fives or Saturday in Roubaix.</li></ol>"
        ),
        alt_en="The Pévèle plain in flower, east of Villeneuve-d'Ascq.",
    ),
}

# About each pickup place, keyed on the pickup point's slug (directions and hours come from
# the pickup point itself).
PLACES = {
    "la-bobine-wazemmes": (
        "ville",
        "<p>La Bobine est un café associatif ouvert en 2016 dans une ancienne mercerie de "
        "Wazemmes. On y boit un café à prix libre, on y répare des vélos le mercredi et, "
        "le vendredi, on y retire son panier de la semaine.</p>",
        "La façade de la Bobine, rue des Sarrazins.",
    ),
    "la-chaudronnerie-fives": (
        "ville",
        "<p>La Chaudronnerie occupe une halle de l'ancienne usine Fives-Cail. Ateliers de "
        "réparation, cantine solidaire, salle de concert : et le jeudi soir, la distribution "
        "des deux drives fermiers.</p>",
        "La halle de La Chaudronnerie et sa cour.",
    ),
    "le-grand-atelier-roubaix": (
        "ville",
        "<p>Le Grand Atelier est une ressourcerie de l'Épeule : meubles, vêtements et "
        "vaisselle de seconde main, et un atelier d'insertion. Les paniers attendent près du "
        "quai, pendant l'ouverture de la boutique.</p>",
        "Le quai de chargement du Grand Atelier.",
    ),
    "jardin-partage-du-triolo": (
        "prairie",
        "<p>Le jardin partagé du Triolo compte quarante parcelles cultivées par les habitants "
        "du quartier. Son cabanon sert de point de retrait le mercredi, et les épluchures "
        "repartent au compost du jardin.</p>",
        "Le jardin partagé du Triolo et son cabanon.",
    ),
}

HOME_INTRO = (
    "Des fermes de la métropole lilloise, une commande par semaine, un retrait près de chez "
    "vous dans un lieu de quartier."
)
HOME_BODY = [
    ("heading", "Le circuit court, tout simplement"),
    (
        "paragraph",
        "<p>Ici, chaque produit vient d'une ferme que l'on peut visiter : du maraîchage bio "
        "du Mélantois, des fromages des Weppes, des pommes de Bondues, des chicons de Wavrin. "
        "Il n'y a qu'un intermédiaire, le drive, qui est une association.</p>",
    ),
    ("heading", "Des tiers-lieux pour se retrouver"),
    (
        "paragraph",
        "<p>Les paniers se retirent dans des lieux qui vivent déjà : un café associatif à "
        "Wazemmes, une halle à Fives, une ressourcerie à Roubaix, un jardin partagé à "
        "Villeneuve-d'Ascq. On y vient pour ses légumes, on y reste pour discuter.</p>",
    ),
    ("heading", "Sans ordinateur, c'est possible aussi"),
    (
        "paragraph",
        "<p>Pas d'ordinateur, pas de carte bancaire, pas d'adresse e-mail ? Des bénévoles "
        "passent commande avec vous lors des permanences, et vous payez en espèces ou par "
        "chèque au retrait.</p>",
    ),
    (
        "quote",
        {
            "text": "Je commande au café avec Martine, et je repars avec mes légumes le "
            "jeudi. Je n'ai jamais eu besoin d'un ordinateur.",
            "author": "Josiane, 78 ans, Fives",
        },
    ),
]
HOME_INTRO_EN = (
    "Farms around Lille, one order a week, and collection near you in a neighbourhood place."
)
HOME_BODY_EN = [
    ("heading", "Short supply chains, simply"),
    (
        "paragraph",
        "<p>Every product comes from a farm you can visit. There is only one intermediary, "
        "the drive, and it is a non-profit association.</p>",
    ),
    ("heading", "Community places to meet"),
    (
        "paragraph",
        "<p>Orders are collected in places that already live: a community café in "
        "Wazemmes, a hall in Fives, a reuse centre in Roubaix, a shared garden in "
        "Villeneuve-d'Ascq.</p>",
    ),
    ("heading", "No computer? No problem"),
    (
        "paragraph",
        "<p>Volunteers place orders with you at drop-in sessions, and you can pay cash or by "
        "cheque when you collect.</p>",
    ),
    (
        "quote",
        {
            "text": "I order at the café with Martine and pick up my vegetables on Thursday. "
            "I have never needed a computer.",
            "author": "Josiane, 78, Fives",
        },
    ),
]

NEWS = [
    (
        "nouveau-point-de-retrait-a-roubaix",
        "Un nouveau point de retrait à Roubaix",
        4,
        "Depuis ce mois-ci, le drive de Villeneuve-d'Ascq livre aussi la ressourcerie Le "
        "Grand Atelier, à l'Épeule.",
        [
            (
                "paragraph",
                "<p>Les paniers se retirent le samedi de 10 h à 12 h 30, pendant "
                "l'ouverture de la boutique. Merci à l'équipe du Grand Atelier pour "
                "l'accueil !</p>",
            ),
            (
                "quote",
                {
                    "text": "Une ressourcerie et un drive fermier, c'est la même idée : "
                    "faire avec ce qui est près de nous.",
                    "author": "Samia, responsable du Grand Atelier",
                },
            ),
        ],
        "ville",
    ),
    (
        "atelier-commander-sans-ordinateur",
        "Atelier « commander sans ordinateur » à Fives",
        18,
        "Un jeudi par mois, à La Chaudronnerie, des bénévoles aident à créer un compte, "
        "passer commande par téléphone ou organiser un panier hebdomadaire.",
        [
            (
                "paragraph",
                "<p>L'atelier est gratuit et ouvert à tous, adhérents ou non. Venez avec "
                "votre téléphone si vous en avez un ; sinon, on vous montre comment "
                "commander au comptoir.</p>",
            ),
        ],
        "legumes",
    ),
]

ABOUT_INTRO = (
    "Une association de familles, de producteurs et de lieux de quartier qui fait vivre deux "
    "drives fermiers dans la métropole lilloise."
)
ABOUT_BODY = [
    ("heading", "Notre histoire"),
    (
        "paragraph",
        "<p>Foodhub est né de deux groupements d'achat, à Lille-Sud et à Villeneuve-d'Ascq, "
        "qui voulaient partager le même outil. Le logiciel est libre, l'association est "
        "ouverte : chaque drive garde ses producteurs, ses lieux et ses règles.</p>",
    ),
    ("heading", "Nous rejoindre"),
    (
        "paragraph",
        "<p>On cherche toujours des bénévoles pour les distributions du jeudi et les "
        "permanences du mercredi. Écrivez-nous ou passez à La Chaudronnerie un jeudi "
        "soir.</p>",
    ),
]


# --- Loading --------------------------------------------------------------------------------


@dataclass
class PagesSummary:
    filled: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    translated: list[str] = field(default_factory=list)
    images: int = 0

    def line(self) -> str:
        return (
            f"Demo pages: {len(self.filled)} filled, {len(self.created)} created, "
            f"{len(self.translated)} translated into English, {self.images} photos."
        )


def _untouched(page: Page, *demo_fields: str) -> bool:
    """The page still has what the set-up gave it: one revision, the demo's fields empty."""
    return page.revisions.count() <= 1 and not any(getattr(page, name) for name in demo_fields)


def _english(page: Page) -> Page | None:
    """The page's English copy if it is still an alias (nobody has translated it)."""
    copy = Page.objects.translation_of(page).filter(locale__language_code="en").first()
    if copy is None or copy.alias_of_id is None:
        return None
    return copy.specific


def _translate(page: Page, summary: PagesSummary, **values) -> None:
    """Turn the page's English alias into an ordinary page, with English words."""
    copy = _english(page)
    if copy is None:
        return
    ConvertAliasPageAction(copy).execute(skip_permission_checks=True)
    for name, value in values.items():
        setattr(copy, name, value)
    editors.publish(copy)
    summary.translated.append(copy.url_path)


def _create(parent: Page, page: Page, summary: PagesSummary) -> Page:
    parent.add_child(instance=page)
    editors.publish(page)
    editors.add_aliases(page)
    summary.created.append(page.url_path)
    return page


def _photo_block(image, alt: str, caption: str, *, english: bool = False) -> tuple:
    return ("photo", {"image": image, "alt": _drawn(alt, english=english), "caption": caption})


def _drawn(alt: str, *, english: bool = False) -> str:
    """The demo's photos are drawn fields: their description says they are illustrations
    of what a real photo would show."""
    return f"Illustration{':' if english else ' :'} {alt[0].lower()}{alt[1:]}"


# What a public page may say of how to get there; the door codes and the like in
# PickupPoint.access_info are for the team and the households with an order only.
PUBLIC_DIRECTIONS = {
    "la-bobine-wazemmes": (
        "Métro ligne 1, station Gambetta, puis 5 minutes à pied. Entrée de plain-pied, "
        "accessible en fauteuil."
    ),
    "la-chaudronnerie-fives": (
        "Métro ligne 1, station Fives. Arceaux à vélos dans la cour, la halle est au fond."
    ),
    "le-grand-atelier-roubaix": (
        "Métro ligne 2, station Épeule-Montesquieu. Trois marches, rampe sur demande."
    ),
    "jardin-partage-du-triolo": (
        "Métro ligne 1, station Triolo. Le cabanon est derrière la maison de quartier."
    ),
}


@transaction.atomic
def load_demo_pages() -> PagesSummary:
    """Write the demo's public pages, where nobody has written them yet.

    1. Set up every hub's and producer's page and group (``editors.set_up_all``).
    2. Fill the home page, the producers' page and each demo producer's portrait, each
       hub's page, when still as set up; translate their English aliases.
    3. Create a page per pickup point under each hub it serves, then the site's news and
       its "who we are" page, when missing; their English copies stay aliases.
    """
    summary = PagesSummary()
    editors.set_up_all()
    home = editors.ensure_site()
    root_collection = Collection.get_first_root_node()

    def image(title, slug, collection, **look):
        summary.images += 1
        return _image(title, slug, collection, **look)

    # 2. The home page.
    home = home.specific
    if _untouched(home, "intro", "body"):
        home.intro = HOME_INTRO
        home.image = image("Champs du Mélantois", "accueil", root_collection, ground="legumes")
        home.image_alt = _drawn("Des champs de légumes sous un grand ciel du Nord.")
        home.body = HOME_BODY
        editors.publish(home)
        summary.filled.append(home.url_path)
        _translate(
            home,
            summary,
            title="Welcome",
            intro=HOME_INTRO_EN,
            image_alt=_drawn("Vegetable fields under a wide northern sky.", english=True),
            body=HOME_BODY_EN,
        )

    index = editors.producer_index()
    if _untouched(index, "intro"):
        index.intro = (
            "Treize fermes et ateliers à moins de 50 km de Lille : qui ils sont, comment ils "
            "travaillent, et ce qu'ils vendent cette semaine."
        )
        index.image = image("Vergers de Bondues", "producteurs", root_collection, ground="verger")
        index.image_alt = _drawn("Un verger en rangs, sous un ciel clair.")
        editors.publish(index)
        summary.filled.append(index.url_path)
        _translate(
            index,
            summary,
            title="Our producers",
            intro=(
                "Thirteen farms and workshops less than 50 km from Lille: who they are, how "
                "they work and what they sell this week."
            ),
            image_alt=_drawn("An orchard in rows, under a clear sky.", english=True),
        )

    producers = Producer.objects.in_bulk([demo.slug for demo in PRODUCERS], field_name="slug")
    for demo in PRODUCERS:
        producer, words = producers.get(demo.slug), PORTRAITS[demo.slug]
        if producer is None:
            continue
        page = ProducerPage.objects.get(producer=producer, locale=index.locale)
        if not _untouched(page, "portrait", "practices", "place"):
            continue
        collection = EditorGroup.objects.get(producer=producer).collection
        look = {"sky": words.sky, "ground": words.ground}
        main = image(producer.name, demo.slug, collection, **look)
        farm = image(words.caption, f"{demo.slug}-ferme", collection, **look)
        page.place = f"{demo.city} ({demo.postcode[:2]})"
        page.intro = words.intro
        page.portrait = words.portrait
        page.practices = words.practices
        page.image, page.image_alt = main, _drawn(words.alt)
        page.farm_photos = [_photo_block(farm, words.photo_alt, words.caption)]
        editors.publish(page)
        summary.filled.append(page.url_path)
        _translate(
            page,
            summary,
            intro=words.intro_en,
            portrait=words.portrait_en,
            practices=words.practices_en,
            image_alt=_drawn(words.alt_en, english=True),
            farm_photos=[_photo_block(farm, words.photo_alt_en, words.caption_en, english=True)],
        )

    # 2 and 3. Each hub's page, then its pickup points' pages.
    hubs = Hub.objects.in_bulk(list(HUB_STORIES), field_name="slug")
    point_images = {}
    for slug, words in HUB_STORIES.items():
        hub = hubs.get(slug)
        if hub is None:
            continue
        collection = EditorGroup.objects.get(hub=hub).collection
        page = HubPage.objects.get(hub=hub, locale=home.locale)
        if _untouched(page, "story", "values", "how_it_works", "team"):
            page.intro = words.intro
            page.story = words.story
            page.values = words.values
            page.how_it_works = words.how_it_works
            page.team = [
                ("member", {"name": name, "role": role, "about": about})
                for name, role, about, _role_en, _about_en in words.team
            ]
            page.image = image(hub.name, slug, collection, sky=words.sky, ground=words.ground)
            page.image_alt = _drawn(words.alt)
            editors.publish(page)
            summary.filled.append(page.url_path)
            _translate(
                page,
                summary,
                title=words.title_en,
                intro=words.intro_en,
                story=words.story_en,
                values=words.values_en,
                how_it_works=words.how_it_works_en,
                team=[
                    ("member", {"name": name, "role": role_en, "about": about_en})
                    for name, _role, _about, role_en, about_en in words.team
                ],
                image_alt=_drawn(words.alt_en, english=True),
            )
        for point in PickupPoint.objects.filter(
            hubs=hub, slug__in=[row["slug"] for row in PICKUP_POINTS]
        ).order_by("name"):
            if PickupPointPage.objects.child_of(page).filter(pickup_point=point).exists():
                continue
            ground, about, alt = PLACES[point.slug]
            if point.slug not in point_images:
                point_images[point.slug] = image(point.name, point.slug, collection, ground=ground)
            _create(
                page,
                PickupPointPage(
                    title=point.name,
                    slug=point.slug,
                    locale=page.locale,
                    pickup_point=point,
                    intro=point.tiers_lieu,
                    directions=f"<p>{PUBLIC_DIRECTIONS[point.slug]}</p>",
                    hours=point.opening_notes,
                    about=about,
                    image=point_images[point.slug],
                    image_alt=_drawn(alt),
                ),
                summary,
            )

    # 3. The site's news and "who we are".
    if not NewsIndexPage.objects.child_of(home).exists():
        news_index = _create(
            home,
            NewsIndexPage(
                title="Actualités",
                slug="actualites",
                locale=home.locale,
                intro="Les nouvelles des drives, des fermes et des lieux de retrait.",
            ),
            summary,
        )
        today = timezone.localdate()
        for slug, title, days_ago, intro, body, ground in NEWS:
            _create(
                news_index,
                NewsPage(
                    title=title,
                    slug=slug,
                    locale=home.locale,
                    date=today - timedelta(days=days_ago),
                    intro=intro,
                    body=body,
                    image=image(title, slug, root_collection, ground=ground),
                    image_alt="Illustration : des champs sous le ciel du Nord.",
                ),
                summary,
            )
    if not StandardPage.objects.child_of(home).filter(slug="qui-sommes-nous").exists():
        _create(
            home,
            StandardPage(
                title="Qui sommes-nous ?",
                slug="qui-sommes-nous",
                locale=home.locale,
                intro=ABOUT_INTRO,
                body=ABOUT_BODY,
            ),
            summary,
        )
    return summary
