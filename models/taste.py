"""Taste attributes of a comment, each with a polarity, from the clause that mentions it.

Detection is a Spanish + English lexicon (stems, Peruvian words such as "empalagoso", "ají", "rocoto",
"chancaca", "bravazo"), matched accent-insensitively on the clause, optionally widened by embedding
similarity of the clause vector to a few prototype phrases per attribute (paraphrases: "no sabe a
nada" → sabor). Polarity comes from the sentiment head applied to the clause's own vector (pooled from
the same encoder pass as the comment) and is overridden by lexical cues that are complaints about
taste whatever the tone ("muy dulce", "demasiado salado", "le falta sal", "too sweet").

A clause is a stretch between sentence punctuation, commas or contrast words (pero, aunque, but...),
so "el sabor está bravazo pero el empaque se rompe" gives sabor + and empaque −.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from models.taxonomy import ATTRIBUTES
from models.text import MAX_EVIDENCE, evidence_of, fold, polarity_from_probs, split_clauses  # noqa: F401

# Patterns are written without accents (text is folded the same way) and matched at word starts.
# A trailing \w* makes a stem; patterns end at a word boundary.
LEXICON: dict[str, list[str]] = {
    "dulce": [r"dulce(s|ro|rillo)?", r"dulcecit[oa]s?", r"dulz\w*", r"empalag\w*", r"azucar\w*", r"chancaca",
              r"almibar\w*",
              r"endulz\w*", r"acaramelad\w*", r"meloso", r"sweet\w*",
              r"(?<!blood )(?<!no )sugar(y|s)?(?! added)", r"cloying\w*", r"syrupy", r"sugary"],
    "salado": [r"salad[oa]s?", r"saladisim\w*", r"sal", r"salobre", r"salmuera", r"salinidad", r"sodio",
               r"salty",
               r"saltiness", r"salt", r"salted", r"sodium", r"unsalted", r"salt-free"],
    "picante": [r"picant\w*", r"pica(ba|n)?", r"pique(n)?", r"picor\w*", r"aji(es)?", r"rocoto\w*",
                r"chile(s)?",
                r"jalapen\w*", r"habanero\w*", r"spic(y|iness|ier)", r"hot sauce", r"chipotle",
                r"peppery", r"cayenne", r"sriracha", r"guindilla\w*"],
    "ácido": [r"acid[oa]s?", r"acidez", r"acidic", r"agri[oa]s?", r"avinagrad\w*", r"vinagre", r"sour\w*",
              r"tang(y)?", r"tartness", r"vinegar\w*", r"citric\w*", r"citrico\w*"],
    "amargo": [r"amarg\w*", r"bitter\w*", r"regusto", r"aftertaste", r"after-taste", r"after taste"],
    "sabor": [r"sabor\w*", r"sab(e|en|ia|ian) a", r"sabros\w*", r"insipid\w*", r"sos[oa]s?", r"desabrid\w*",
              r"sazon\w*", r"delicios\w*", r"delicia\w*", r"incomible\w*", r"inedible", r"exquisit\w*",
              r"riquisim\w*", r"ric[oa]s?(?!\s+en\b)", r"umami", r"bravazo\w*", r"paladar", r"flavou?r\w*",
              r"tast(e|es|y|ed|ing|eless|er)(?! buds)", r"delicious\w*", r"yumm?y", r"bland\w*", r"savou?ry",
              r"insuls\w*", r"quemad[oa]s?", r"refrescante\w*",
              r"supersabros\w*",
              r"refreshing"],
    "aroma": [r"aroma\w*", r"olor\w*", r"huel[ea]n?", r"oli(a|an)", r"fragan\w*", r"perfum\w*", r"smell\w*",
              r"fragrant", r"odou?r\w*", r"scent\w*", r"fragrance\w*"],
    "textura": [r"textur\w*", r"crujient\w*", r"crocant\w*", r"chiclos\w*", r"gomos\w*", r"cremos\w*",
                r"esponjos\w*", r"pastos\w*", r"jugos[oa]s?", r"tiern[oa]s?", r"blandit?[oa]s?",
                r"correos[oa]s?", r"se deshac\w*", r"crunch\w*", r"crisp\w*", r"chewy", r"chewiness",
                r"soggy", r"mushy", r"creamy", r"textur\w*", r"tender", r"grainy", r"gritty", r"rubbery",
                r"fluffy", r"consistenc\w*", r"consistency", r"crumb\w*", r"recocid\w*", r"aguad[oa]s?",
                r"apelmazad\w*", r"al dente", r"(punto|puntos) de coccion", r"pasad[oa]s? de (coccion|punto)",
                r"(una|como( una| la)?) (manteca|mantequilla)", r"se deshac\w*", r"deshaciendo\w*",
                (r"(estaba|estaban|esta|estan|era|eran|quedo|quedaron|vino|vinieron|llego|llegaron|un poco|"
                 r"algo|medio|muy|bastante|demasiado|super) (dur[oa]s?|crud[oa]s?)"),
                r"(carne|pan|pollo|bife|lomo|pescado|masa)s? (dur[oa]s?|crud[oa]s?)",
                r"melts? in (the|your|my|his|her) mouth", r"pulp\w*", r"clump\w*"],
    "frescura": [r"fresc[oa]s?", r"frescura", r"fresquisim\w*", r"recien hech\w*", r"congelad[oa]s?",
                 r"fresh\w*", r"rancio\w*", r"rancid", r"caducad\w*",
                 r"vencid[oa]s?", r"podrid\w*", r"mohos\w*", r"moho", r"stale", r"rotten", r"expir\w*",
                 r"spoil\w*", r"mold\w*", r"mould\w*"],
    "temperatura": [r"fri[oa]s?", r"frialdad", r"calient\w*", r"tibi[oa]s?", r"templad[oa]s?",
                    r"temperatura", r"recalentad\w*", r"cold", r"lukewarm", r"warm\w*",
                    r"temperature", r"reheat\w*"],
    "precio": [r"precio\w*", r"car[oa]s", r"caro", r"carisim\w*", r"valores", r"(un|son un) robo",
               r"(muy|algo|poco|bastante|demasiado|mas) cara", r"barat\w*", r"economic\w*", r"cuesta\w*",
               r"costo\w*", r"coste\w*", r"euros?", r"pesos", r"soles", r"mil pesos",
               r"calidad[- ]precio", r"relacion calidad", r"oferta\w*", r"price\w*", r"money",
               (r"pag(ar|as|a|amos|an|ue|o|aron) "
                r"(lo|por|mas|menos|poco|mucho|demasiado|el doble|caro|barato)\w*"),
               r"(pagamos|pague) (\w+ )?\d", r"(poco|mucho|mas|menos|algo de) (dinero|plata)",
               r"(pay|paid|paying) (\$ ?\d+|\d+|more|less|too much|extra)",
               r"deal", r"pricey", r"expensive", r"cheap\w*", r"overpriced", r"costs?", r"costly",
               r"dollars?", r"bucks", r"worth the money", r"for the money", r"value for", r"\$\s?\d+",
               r"\d+\s?\$", r"\d+\s?(€|eur)"],
    "porción": [r"porcion\w*", r"racion\w*", r"(poca|escasa|buena|mucha) cantidad",
                r"cantidad (justa|escasa|generosa|abundante|de comida)", r"tamano\w*", r"abundant\w*",
                r"escas[oa]s?", r"generos[oa]s?", r"(me|nos|te|se) qued(a|an|as|e|amos|o|aron) con hambre",
                r"la cantidad", r"cantidad (es|fue|era|de)",
                r"(muy|super|bien|demasiado|re|algo|un poco) chiquit[oa]s?", r"diminut[oa]s?",
                r"liliputiense",
                r"tro[cz]it[oa]s?", r"sobr(o|aron)", r"tamano\w*", r"(poca|mucha|gran|buena) cantidad",
                r"calidad[- ]cantidad", r"la cantidad que", r"plato\w* (muy )?(grande|pequen)\w*",
                r"portion\w*", r"serving\w*", r"quantity", r"\d+\s?(oz|ounces?|gramos|kg|lb|pounds?)",
                r"size\w*"],
    "empaque": [r"empaqu\w*", r"empac(ad|ar|an|o)\w*", r"envase\w*", r"envasad\w*", r"embalaj\w*",
                r"envoltori\w*", r"envuelt\w*",
                r"packag\w*", r"package\w*", r"wrapp\w*", r"sealed", r"seal", r"resealable", r"regad[oa]s?",
                r"derramad[oa]s?", r"se (habia|habian|ha|han) (regado|derramado)", r"destapad[oa]s?",
                r"(llego|llegaron|vino|venia|venian|todo|toda|muy) (\w+ y )?revuelt[oa]s?", r"spill(ed|s)?",
                r"(in|great|good|perfect|excellent|bad|poor|terrible) condition", r"bubble[- ]wrap\w*",
                r"packed (in|with)"],
    "saludable": [r"saludable\w*", r"san[oa]s?", r"(100 ?% |all[- ]|tod[oa]s? )natural(es)?",
                  r"producto\w* natural\w*", r"(que|porque) (sea|es|son|sean) (\w+ )?natural(es)?",
                  r"(se siente|se sienten|comida|plato\w*|opcion\w*|cena|almuerzo) (\w+ )?liger[oa]s?",
                  r"feels? light",
                  r"organic\w*", r"organic[oa]s?", r"healthy", r"healthier",
                  r"health", r"calori\w*", r"grasos\w*", r"grasient\w*", r"gluten\w*", r"sugar[- ]free",
                  r"sin azucar", r"diet\w*", r"nutri\w*", r"vitamin\w*", r"artificial\w*", r"conservant\w*",
                  r"preservative\w*", r"chemical\w*", r"quimic\w*", r"fat[- ]free", r"low[- ]fat", r"greasy",
                  r"fiber", r"no sugar added", r"blood (sugar|pressure)", r"calcium", r"calcio",
                  r"constipa\w*", r"estren\w*", r"hipertens\w*", r"celiac\w*", r"celiac[oa]s?", r"sin tacc",
                  r"aceitos[oa]s?", r"(flotaba|flotaban|nadaba|nadaban)"
                  r" en (aceite|grasa)", r"mucha grasa", r"aspartame",
                  r"maltodextrin\w*", r"intake",
                  r"good for (him|her|you|them|kids|children|me|us)"],
    "ingredientes": [r"ingredient\w*", r"materia prima", r"aditiv\w*", r"additive\w*", r"hech[oa]s? con",
                     r"elaborad[oa]s? con", r"made with", r"made from", r"contains", r"contiene\w*",
                     r"corn syrup", r"jarabe", r"msg", r"glutamato", r"soy lecithin", r"lecitina"],
}

# Complaints about the taste itself, whatever the tone of the sentence (applied per attribute).
_INTENS = r"(muy|demasiad[oa]s?|super|sumamente|excesivamente|exageradamente|extremadamente|tan|bastante|" \
          r"algo|un poco|" \
          r"too|overly|very|extremely|way too|so|excessively)"
NEGATIVE_CUES: dict[str, list[str]] = {
    "dulce": [_INTENS + r" (dulce|dulz\w*|azucarad\w*|sweet|sugary)", r"empalag\w*", r"cloying\w*",
              r"bien (dulce|empalagos\w*|azucarad\w*)",                # Peruvian "bien" = "muy"
              r"sickly sweet",
              # excess said with the sugar itself, as "mucha sal" / "pura sal" for salado
              r"(mucha|demasiada|exceso de|cargad[oa]s? de|llen[oa]s? de|pur[oa]) azucar",
              r"(le |les )?sobr(a|aba|o) (el |de )?(azucar|dulce)", r"menos (azucar|dulce)",
              r"(less|too much) sugar"],
    "salado": [_INTENS + r" (salad[oa]s?|salty)", r"(le )?falt\w* (de )?sal", r"sin sal",
               r"needs? (more )?salt", r"salobre", r"salmuera",
               r"(mucha|demasiada|exceso de|pasad[oa]s? de|cargad[oa]s? de|llen[oa]s? de|pur[oa]) sal",
               r"sal con (cuchara|pala)", r"se (les|le) (fue|paso) la mano con la sal"],
    "picante": [_INTENS + r" (picante|spicy|hot)", r"(no|nada) pica",
                r"pica(ba|n)? (demasiado|muchisimo|un monton|horrible|fatal|too much)",
                r"(le |les )?falt\w* (de )?(aji|rocoto|picante|picor)",
                r"(no|nada|poco|sin) (es |era |esta |estaba |muy |tan |nada )?(picante|picoso|spicy)",
                r"not spicy", r"no heat"],
    "ácido": [_INTENS + r" (acid[oa]|agri[oa]|sour|tart|acidic)", r"avinagrad\w*", r"rancid"],
    # Bitterness is a complaint unless negated ("sin amargor", "not bitter") or a kind ("chocolate amargo").
    "amargo": [r"amarg\w*", r"bitter\w*", r"(regusto|aftertaste|after-taste|after taste)"],
    "sabor": [r"insipid\w*", r"insuls\w*", r"sos[oa]s?", r"desabrid\w*",
              r"(sin|falta de|le falta) (sabor|sazon)",
              r"(no|nada|ni) (tiene|tenia|tenian|tienen|tuvo) (nada de |mucho |ningun )?(sabor|gusto)",
              r"sin (nada de |ningun )?(sabor|gusto)", r"no (me |nos )?sup(o|ieron) a nada",
              r"quemad[oa]s?", r"(flavou?r|taste) (was |is )?(lacking|missing|weak|off)",
              r"(no|nada de) sabor", r"no sabe a nada", r"tasteless", r"bland\w*", r"no flavou?r",
              r"lacks? flavou?r",
              r"(sabor|taste|flavou?r) (a |of )?(plastico|plastic|quemado|burnt|cardboard|carton)",
              (r"(sabe|saben|sabia|sabian|tastes?|tasted) (a |like )"
               r"(plastico|plastic|quemado|burnt|cardboard|carton|"
               r"nada|rancio|viejo|jabon|soap|metal|chemicals?|medicine|medicina)"),
              r"(tastes?|tasted|sabe|sabia) (like )?(awful|horrible|terrible|bad|fatal|mal)",
              r"(mal|horrible|terrible|awful|bad|nasty|weird|strange|raro) (sabor|taste|flavou?r)"],
    "aroma": [r"(mal|feo|fuerte|horrible) olor", r"huele mal",
              r"(bad|awful|strange|weird|funny|terrible) (smell|odou?r)",
              r"smell(s|ed)? (bad|awful|funny|terrible)", r"apest\w*", r"stinks?"],
    "textura": [r"chiclos\w*", r"gomos\w*", r"pastos\w*", r"correos[oa]s?", r"soggy", r"mushy", r"rubbery",
                r"gritty", r"grainy", _INTENS + r" (dur[oa]s?|sec[oa]s?|hard|dry|tough|chewy|blanda?o?)",
                r"recocid\w*", r"aguad[oa]s?", r"apelmazad\w*", r"crud[oa]s?", r"dur[oa]s?",
                r"pasad[oa]s? de (coccion|punto)", r"(se )?deshac(ia|ian|iendo)\w*", r"deshaciendo\w*"],
    "frescura": [r"rancio\w*", r"rancid", r"caducad\w*", r"vencid[oa]s?", r"podrid\w*", r"mohos\w*", r"moho",
                 r"stale", r"rotten", r"expired", r"spoiled", r"mou?ldy?", r"(no|poco|nada) fresc[oa]s?",
                 r"not fresh", r"no era fresc[oa]", r"congelad[oa]s?"],
    "temperatura": [r"(llego|llegaron|vino|vinieron|estaba|estaban|servid[oa]s?)( \w+){0,3} fri[oa]s?",
                    r"tibi[oa]s?", r"lukewarm",
                    r"(was|were|arrived|came) cold", r"recalentad\w*", r"reheated"],
    "precio": [r"car[oa]s", r"caro", r"carisim\w*", r"(muy|algo|poco|bastante|demasiado|mas) cara",
               r"expensive", r"overpriced", r"pricey", r"costly", r"rip[- ]?off", r"not worth",
               r"no vale (la pena|lo que)", r"precio (excesivo|elevado|alto)",
               r"precios (excesivos|elevados|altos)", r"(high|steep) price", r"(un|son un) robo",
               r"(precios?|valores) ((?!no )\w+ ){0,3}(elevad|alt|excesiv|desorbita)\w*", r"desorbita\w*"],
    "porción": [r"escas[oa]s?", (r"(porcion|racion|porciones|raciones|cantidad)\w* (muy |un poco |algo )?"
                r"(pequen|chic|minus|escas|reducid)\w*"), r"(small|tiny) (portion|serving|amount)\w*",
                r"(me|nos|te|se) qued(a|an|as|e|amos|o|aron) con hambre", r"tiny", r"chiquit\w*",
                r"diminut\w*", r"liliputiense", r"tro[cz]it\w*", r"poca cantidad",
                (r"cantidad (es |fue |era )?(absurdamente |muy |super |bastante |mucho )?"
                 r"(pequen|poc|escas|menor|reducid|minim)\w*")],
    "empaque": [r"(roto|rota|rotos|rotas|rompe\w*|rompi\w*|abiert[oa]s?|aplastad\w*|dañad\w*|danad\w*)",
                r"(broken|broke|crushed|damaged|leak\w*|dented|torn|opened|smashed|busted)", r"regad\w*",
                r"derramad\w*", r"revuelt\w*", r"destapad\w*", r"spill\w*", r"(bad|poor|terrible) condition"],
    "saludable": [r"grasient\w*", r"grasos\w*", r"greasy", r"artificial\w*", r"chemical\w*", r"quimic\w*",
                  r"(lleno|llena|full) (de|of) (azucar|sugar|grasa|fat|conservantes|preservatives)",
                  r"aceitos\w*", r"(flotaba|flotaban|nadaba|nadaban) en (aceite|grasa)", r"mucha grasa",
                  r"hipertens\w*", r"peligros\w*", r"danger\w*", r"lacks?", r"carece\w*", r"deficien\w*"],
    "ingredientes": [r"corn syrup", r"jarabe de maiz", r"msg", r"glutamato", r"aditiv\w*", r"additive\w*",
                     r"preservative\w*", r"conservant\w*"],
}
_PICANTE = r"(picant\w*|picor\w*|aji(es)?|rocoto\w*)"
_LIKED = (r"(buenazo|bravazo|chevere|ric[oa]|delicios[oa]|perfect[oa]|en su punto|just[oa]|espectacular|"
          r"buenisim[oa]|sabros[oa]|bien)")
POSITIVE_CUES: dict[str, list[str]] = {
    # Sweetness right: "el dulzor está en su punto", "el dulce justo", "the sweetness is just right".
    "dulce": [(r"(dulzor|dulce|azucar|nivel de azucar|punto de azucar|sweetness)( \w+)? "
               r"(en su punto|just[oa]|perfect[oa]|balancead[oa]|equilibrad[oa]|ideal|just right|perfect)"),
              r"(rico|buen[oa]) de dulce", r"dulcecito", r"(nice|perfect|right) (level of )?sweetness"],
    # Heat liked: "pica rico", "el picante está buenazo", "me encanta que pique", "nice spicy kick".
    "picante": [r"pica(ba|n)? (\w+ )?(rico|bien|sabroso|delicioso|en su punto|como debe ser|justo|perfecto|"
                r"chevere|bravazo|buenazo)",
                _PICANTE + r"( (esta|es|estaba|era|queda|quedo|le queda))?( \w+)? " + _LIKED,
                r"(buen|rico|sabroso|delicioso) (toque de |picor de )?(aji|rocoto|picante|picor)",
                r"(me|nos) (encanta|encanto|gusta|gusto|fascina)\w* "
                r"(que pique|lo picante|el picante|el picor)",
                r"(nice|great|good|perfect) (spicy |spice )?(kick|heat)",
                r"love (how|the) (spicy|spice|heat)",
                r"(heat|spice|spiciness) is (\w+ )?(good|great|perfect|nice|just right)"],
    "precio": [r"barat\w*", r"economic\w*", r"buen precio",
               r"precio (razonable|justo|adecuado|asequible|economico)",
               r"calidad[- ]precio (buena|excelente|inmejorable|muy buena|perfecta)",
               r"(buena|excelente|inmejorable|muy buena|gran) (relacion )?calidad[- ]precio", r"cheap\w*",
               r"(good|great|reasonable|fair) (value|price)\w*", r"worth (it|the)", r"affordable", r"bargain",
               r"vale la pena", r"gratis", r"precio\w* (es |son |muy |bien )*accesible\w*",
               r"(precio|precios|valores) (\w+ )?acorde\w*", r"ajust\w* al precio",
               r"no (esta|es|estuvo) (nada )?mal",
               r"(relacion )?precio[- /]calidad (\w+ )?(buen|excelente|optim|inmejorable|perfect)\w*",
               r"(buen|excelente|optim|inmejorable|perfect)\w* relacion precio[- /]calidad"],
    "salado": [r"(just[oa]|punto justo|en su punto) de sal", r"bien (de sal|salad[oa]|sazonad\w*)"],
    "amargo": [(r"(amargor|amargo|amarguito|toque amargo|bitterness|bitter notes)( \w+)? "
                r"(just[oa]|equilibrad\w*|perfect\w*|agradable|suave|ric[oa]|chevere|buenazo|delicios\w*|"
                r"intens[oa])"),
               r"amarguito", r"(me|nos) (gusta|encanta)\w* (el |lo |su )?amarg\w*",
               r"(love|like|enjoy)s? (the )?bitter\w*", r"nice bitter\w*"],
    "sabor": [r"bravaz\w*",
              (r"(taste|tastes|tasted|flavou?r|flavou?rs) (is |was |are |were )?(really |very |so )?"
               r"(great|good|amazing|excellent|wonderful|fantastic|delicious|awesome)"),
              (r"(sabor|sabe|sabia|sabian) (es |era |esta |estaba )?(muy |super )?"
               r"(bien|ric[oa]|buen[oa]|buenisim[oa]|excelente|espectacular|increible)"),
              r"deliciosa?s?", r"riquisim\w*", r"exquisit\w*", r"sabros\w*", r"delicious\w*", r"yumm?y",
              r"tasty", r"(muy|super|que) ric[oa]s?", r"buen(isimo)? sabor", r"great (taste|flavou?r)",
              r"refreshing", r"refrescante\w*", r"rich", r"robust"],
    "frescura": [r"(muy |super )?fresc[oa]s?", r"fresh\w*", r"del dia", r"fresquisim\w*", r"recien hech\w*"],
    "porción": [r"abundant\w*", r"generos[oa]s?", r"(porcion|racion)\w* (grande|abundante|generosa)\w*",
                r"(large|generous|big|huge) (portion|serving)\w*", r"sobr(o|aron)",
                r"tamano (importante|grande|generoso)", r"(mucha|gran|buena) cantidad"],
    "textura": [r"crujient\w*", r"crocant\w*", r"tiern[oa]s?", r"jugos[oa]s?", r"crunchy", r"crispy",
                r"tender", r"creamy", r"fluffy", r"se deshace en la boca", r"melts in",
                r"(una|como( una| la)?) (manteca|mantequilla)", r"al dente", r"en su punto"],
    "empaque": [r"(great|good|perfect|excellent) condition", r"bien (empacad|sellad|envuelt|embalad)\w*",
                (r"(empaque|empaques|packaging|envase)s? (\w+ )?"
                 r"(perfect|excelente|buen|impecable|great|good)\w*"),
                r"bubble[- ]wrap\w*", r"packed (in|with)"],
    "aroma": [r"(buen|rico|delicioso|agradable) (olor|aroma)", r"huele (bien|rico|delicioso)",
              r"(great|nice|good|wonderful|lovely) (smell|aroma|scent)",
              r"smells (great|good|wonderful|amazing)"],
    "saludable": [r"saludable\w*", r"healthy", r"healthier", r"organic\w*", r"organic[oa]s?", r"natural(es)?",
                  r"liger[oa]s?", r"light", r"san[oa]s?", r"nutritiv\w*",
                  r"ideal para (los |las )?(chicos|ninos|ninas|kids|children)", r"sin azucar",
                  r"sugar[- ]free", r"low[- ]fat", r"fat-free"],
}
# A chili named with no word on its heat in the clause ("compré la salsa de ají amarillo", "hecho con ají
# amarillo de verdad", "ají de gallina", "jalapeño chips") is a food (models/mentions.py, family "ají y
# picantes"), not a judgement of spiciness: picante needs one of these (or a picante cue) in the clause.
_HEAT_WORDS = [r"picant\w*", r"pica(ba|n)?", r"pique(n)?", r"picor\w*", r"picos[oa]s?", r"enchil\w*",
               r"spic(y|iness|ier|e)", r"hot", r"heat", r"kick", r"peppery", r"hot sauce",
               r"(mucho|poco|mas|menos|demasiado|sin|falt\w*( de)?) (aji|rocoto|chile)\w*",
               (r"(le |les )?(puse|pusimos|pone|ponen|echo|eche|echa|echan|agreg\w*|anad\w*) (\w+ )?"
                r"(aji|rocoto|chile)\w*"),
               r"quem\w* (la )?(boca|lengua)", r"burn\w* (my |the )?(mouth|tongue)"]
_CONTAINER_WORDS = [r"bolsa\w*", r"lata(s)?", r"frasco\w*", r"caja\w*", r"botella\w*", r"box(es)?", r"bags?",
                    r"cans", r"jars?", r"containers?", r"bottles?", r"tins?", r"pouch\w*", r"carton\w*"]
_NEGATION = re.compile(r"\b(no|nunca|nada|ni|sin|not|never|no es|isn't|wasn't|n't)\b")
# A negation at most two words before a cue turns it around: "no es empalagoso", "not too sweet", "no
# demasiado salado", "sin amargor" are praise; "no es barato" a complaint. Cues that are themselves a lack
# ("nada picante", "le faltó sal", "sin sabor") are not turned.
_NEGATED_BEFORE = re.compile(r"\b(no|nunca|nada|ni|sin|not|never|without|isn't|wasn't|aren't|weren't|n't)"
                             r"((\s+|-)\w+){0,2}\s*$")
_A_LACK = re.compile(r"(no|nada|ni|sin|not|never|poc[oa]|falt\w*|le falt\w*|lacks?|needs?)\b")
# Not a complaint although the cue says so: kinds of food, places ("olor a cloaca de la calle").
_NOT_A_COMPLAINT = {
    "amargo": re.compile(r"(chocolate|cacao) (amarg|bitter)\w*|dark chocolate|bittersweet"),
}
_PRAISE_FIRST = {"amargo"}
_NOT_FOOD_SMELL = re.compile(r"\b(calle|bano|banos|cloaca|alcantarilla\w*|cigarr\w*|humo|local|lugar|salon|"
                             r"street|bathroom|restroom)\b")

# The food itself judged with a general word ("la comida es muy buena", "excelente comida", "se come
# bien", "the food was great"): flavour, with the polarity of the judging word.
_FOODW = (r"(comida|comidas|cocina|platos?|platillos?|menu|menus|menues|comer|postres?|entradas|entrantes|"
          r"reposteria|pasteleria|tragos|bebidas|food|meal|meals|dish|dishes|desserts?|drinks)")
_GAP = (r"((es|era|fue|son|eran|fueron|esta|estaba|estaban|estan|estuvo|estuvieron|muy|super|realmente|"
        r"bastante|simplemente|sencillamente|la|el|los|las|que|pedimos|probamos|comimos|todo|toda|todos|todas|is|was|"
        r"were|are|really|very|so|simply|just|de|del|su|sus|tan|mas|nos|me|parecio|parecieron|resulto|"
        r"resultaron|siempre|no|not|casera|casero|caseros|caseras) ){0,4}")
_EVAL_POS = (r"buen[oa]?s?|buenisim[oa]s?|excelentes?|exquisit[oa]s?|delicios[oa]s?|ric[oa]s?|riquisim[oa]s?|"
             r"sabros[oa]s?|supersabros[oa]s?|espectacular(es)?|increibles?|impresionantes?|estupend[oa]s?|"
             r"fantastic[oa]s?|genial(es)?|magnific[oa]s?|soberbi[oa]s?|fabulos[oa]s?|optim[oa]s?|de lujo|"
             r"de primera|de (10|diez)(?! (euros?|pesos|soles|dolares|mil|€))|(10|diez) puntos|de calidad|"
             r"lo mejor|la mejor|las mejores|el mejor|los mejores|great|good|excellent|amazing|delicious|"
             r"tasty|superb|awesome|wonderful|quality|the best|best|especial(es)?|bien")
_EVAL_NEG = (r"mal[oa]?s?|malisim[oa]s?|pesim[oa]s?|horribles?|fe[oa]s?|feisim[oa]s?|asqueros[oa]s?|"
             r"lamentables?|decepcionantes?|mediocres?|incomibles?|pauperrim[oa]s?|pobres?|terribles?|"
             r"desastros[oa]s?|de mala calidad|bad|awful|disgusting|inedible|poor")
_EVAL_NEU = (r"(?<!the )regular(es)?|normal(es)?|correct[oa]s?|aceptables?|pasables?|average|ok|okay|"
             r"decentes?|de normal para abajo|nada (especial|del otro mundo|exclusivo|sorprendente)")
_EVAL = rf"(?P<pos>{_EVAL_POS})|(?P<neg>{_EVAL_NEG})|(?P<neu>{_EVAL_NEU})"
_FOOD_EVALUATION = [
    re.compile(rf"(?<!\w){_FOODW} (?P<gap>{_GAP})({_EVAL})(?!\w)"),
    re.compile(rf"(?<!\w)(?P<gap>(muy |super |tan |realmente )?)({_EVAL}) "
               rf"(calidad (de |en )?)?(la |el |los |las |su |sus )?{_FOODW}(?!\w)"),
    re.compile(r"(?<!\w)(se come|comimos|comi|come|comemos|eat|ate)"
               r"(?P<gap> (\w+ )?(muy |super |realmente |re )?)"
               r"((?P<pos>bien|rico|riquisimo|espectacular\w*|increible|excelente|de maravilla|genial|great|"
               r"well|delicioso)|(?P<neg>mal|fatal|horrible))(?!\w)"),
]


def _compile(patterns: list[str]) -> re.Pattern:
    return re.compile(r"(?<![\w$€])(?:" + "|".join(patterns) + r")(?!\w)")


_LEX = {a: _compile(p) for a, p in LEXICON.items()}
_NEG = {a: _compile(p) for a, p in NEGATIVE_CUES.items()}
_POS = {a: _compile(p) for a, p in POSITIVE_CUES.items()}
_CONTAINER = _compile(_CONTAINER_WORDS)
_HEAT = _compile(_HEAT_WORDS)
_NORMAL = r"(normal(ito)?|regular|average|estandar|standard|ok|okay|aceptable|como cualquier otr[oa])"
_NEUTRAL_VERDICT = _compile([
    rf"(es|esta|estan|son|is|was|are|seems) (\w+ )?{_NORMAL}",
    (r"(dulzor|dulce|sabor|aroma|olor|textura|consistencia|precio|cantidad|tamano|empaque|presentacion|acidez|"
     r"amargor|picante|sal|sweetness|taste|flavou?r|smell|texture|price|size|packaging|saltiness)"
     rf"( \w+)? {_NORMAL}")])
# Sugar in a list of what a product has ("lleva maíz morado y azúcar") is an ingredient, not sweetness.
_LISTING = _compile([r"lleva(n)?", r"contiene\w*", r"hech[oa]s? con", r"elaborad[oa]s? con", r"ingredientes?",
                     r"made with", r"contains", r"ingredients?"])
_HEARSAY = _compile([r"dicen", r"dice que", r"decian", r"segun dicen", r"supuestamente", r"se supone",
                     r"they say", r"supposedly", r"no se (que tan|si)", r"not sure (how|if|whether)"])

@dataclass
class Mention:
    attribute: str
    clause: int                  # index into the text's clause list
    start: int                   # cue position in the text (for highlighting)
    end: int
    cue: str
    lexical: str | None          # 'negative' / 'positive' when a taste-specific cue decides


def _lexical(attr: str, seg: str) -> str | None:
    """Polarity a taste-specific cue gives `attr` in the clause `seg` (folded), or None (the model decides).

    A complaint cue wins over a praise cue; a negation just before either turns it around, except for cues
    that are themselves a lack ("nada picante", "le faltó sal")."""
    if attr == "saludable" and _HEARSAY.search(seg):
        return "neutral"             # "dicen que es saludable": a claim repeated, not the writer's verdict
    if attr in _PRAISE_FIRST:
        # the complaint cue is the attribute's own word ("amargo"): praise of it must be heard first
        if (pm := _POS[attr].search(seg)):
            turned = _NEGATED_BEFORE.search(seg[max(0, pm.start() - 25):pm.start()])
            return "negative" if turned else "positive"
        if _NEUTRAL_VERDICT.search(seg):
            return "neutral"
    exc = _NOT_A_COMPLAINT.get(attr)
    neg = _NEG.get(attr)
    if neg is not None and not (exc is not None and exc.search(seg)):
        turned = False
        for m in neg.finditer(seg):
            if _A_LACK.match(m.group(0)) or not _NEGATED_BEFORE.search(seg[:m.start()]):
                return "negative"
            turned = True
        if turned:
            return "positive"
    pos = _POS.get(attr)
    if pos is not None and (pm := pos.search(seg)):
        before = seg[max(0, pm.start() - 25):pm.start()]
        return "negative" if _NEGATED_BEFORE.search(before) else "positive"
    if _NEUTRAL_VERDICT.search(seg):
        return "neutral"             # "el dulzor es normal", "sweetness is average": said, not judged
    return None


def food_evaluation(seg: str):
    """(start, end, polarity) where the clause judges the food as a whole ("la comida es muy buena",
    "excelente comida", "se come bien", "the food was great"), else None. `seg` is folded."""
    hits = []
    for rx in _FOOD_EVALUATION:
        for m in rx.finditer(seg):
            pol = "positive" if m.group("pos") else "negative" if m.group("neg") else "neutral"
            if re.search(r"\b(no|not)\b", m.group("gap") or "") and pol != "neutral":
                pol = "negative" if pol == "positive" else "positive"
            hits.append((m.start(), m.end(), pol))
    if not hits:
        return None
    for pol in ("negative", "positive", "neutral"):          # a complaint outweighs praise
        for h in hits:
            if h[2] == pol:
                return h


# A named food judged (models/mentions.py finds the foods): general words near it, liking or advice.
_EVAL_RX = re.compile(rf"(?<!\w)(no |not )?({_EVAL})(?!\w)")
_NOT_TASTE_EVAL = re.compile(r"calidad|quality|primera")        # quality of an ingredient is not flavour
# Liking is about the taste (sabor too); advice only says the food is good or bad (ingredientes alone).
_FOOD_LIKING = re.compile(
    r"(?<!\w)((?P<pos>me encant\w*|nos encant\w*|me gust\w*|nos gust\w*|satisfech\w*|love[sd]?|addicted|"
    r"favorite|favourite)|(?P<neg>no (me |nos )?(ha |han |hemos )?gust\w*|defraud\w*|decepcion\w*|"
    r"doesn'?t like|"
    r"didn'?t like))(?!\w)")
_FOOD_ADVICE = re.compile(
    r"(?<!\w)((?P<pos>recomend\w*|recomiendo|hay que probar|imperdible|destac\w*|vale la pena|"
    r"valio la pena)|(?P<neg>nunca pid\w*|no pid\w*|no recomiendo|dejaron (bastante |mucho )?que desear|"
    r"mejorables?))(?!\w)")
# A judging word belongs to the nearest noun: "buena atención" or "la atención es buena" is not the food's.
_OTHER_NOUN = (r"(atencion|servicio|ambiente|trato|lugar|local|sitio|camarer[oa]s?|moz[oa]s?|personal|"
               r"decoracion|precios?|relacion|musica|ubicacion|vistas?|terraza|salon|carta|tamano|cantidad|"
               r"porcion\w*|presentacion|variedad|textura|consistencia|olor|aroma|producto|service|staff|"
               r"place|price|atmosphere|view|deal|buy|value|purchase|product|texture|smell|size|presentation)")
_OTHER_BETWEEN = re.compile(rf"(?<!\w){_OTHER_NOUN}(?!\w)")
_OTHER_AFTER = re.compile(rf"\s*(la |el |los |las |de |del |su |sus )?{_OTHER_NOUN}(?!\w)")
_DRY = re.compile(r"^[\s,]*(estaba |estaban |esta |muy |bien |un poco |algo |medio |super |re )*"
                  r"sec[oa]s?(?!\w)")
NEAR = 45           # characters between a food and the word judging it
_CHILI_FAMILY = "ají y picantes"
_LEAD_EVAL = re.compile(rf"^((simplemente|realmente|sencillamente|muy|super|tan|son|es|fue|eran|estaban) )*"
                        rf"({_EVAL})(?!\w)")
_TOO_LITTLE = re.compile(r"(demasiad[oa]s?|poc[oa]s?|escas[oa]s?|casi sin|muy poc[oa]s?) $")
_NOT_BEFORE = re.compile(r"\b(no|not|nunca|never)\b(\s+\w+){0,3}\s*$")
_SALTY = re.compile(r"^[\s,]*(estaba |estaban |esta |muy |bien |un poco |algo |medio |super |re |demasiado )*"
                    r"salad[oa]s?(?!\w)")


def _near(m, fs, fe) -> bool:
    return m.start() - fe <= NEAR and fs - m.end() <= NEAR


def _food_rows(text: str, low: str, clauses, foods, found: list[Mention]) -> list[Mention]:
    """ingredientes (and sabor, textura) from the foods of each clause that the clause judges."""
    out: list[Mention] = []
    by_clause: dict[int, list] = {}
    for f in foods:
        by_clause.setdefault(f.clause, []).append(f)
    for ci, fs in by_clause.items():
        if any(m.attribute == "picante" and m.clause == ci and m.lexical for m in found):
            # a chili in a clause about heat ("el ají pica en su punto", "con su buen ají") is judged for
            # its heat: that is the picante attribute, not a verdict on an ingredient
            fs = [f for f in fs if f.family != _CHILI_FAMILY]
            if not fs:
                continue
        a, b = clauses[ci]
        seg = low[a:b]
        pols, taste_pol = [f.lexical_polarity for f in fs if f.lexical_polarity], None
        rest = seg
        for f in fs:
            rest = rest.replace(low[f.start:f.end], " ")
        if len(rest.split()) <= 3 and ci + 1 < len(clauses):
            # "paella, simplemente lamentable", "el tomate, como entrante, es algo especial": the food
            # stands alone and the next clause judges it
            nxt = low[clauses[ci + 1][0]:clauses[ci + 1][1]]
            m = _LEAD_EVAL.match(nxt) or _FOOD_ADVICE.search(nxt) or _FOOD_LIKING.search(nxt)
            if m:
                pol = "positive" if m.group("pos") else "negative" if m.group("neg") else "neutral"
                pols.append(pol)
                if not _FOOD_ADVICE.search(nxt):
                    taste_pol = pol
        for f in fs:
            fs_, fe_ = f.start - a, f.end - a
            if _TOO_LITTLE.search(seg[max(0, fs_ - 20):fs_]):
                pols.append("negative")                 # "demasiada patata", "poca carne"
            for m in _EVAL_RX.finditer(seg):
                between = seg[min(fe_, m.end()):max(fs_, m.start())]
                if (not _near(m, fs_, fe_) or _OTHER_BETWEEN.search(between)
                        or _OTHER_AFTER.match(seg, m.end())
                        or (m.group(2) == "bien" and m.start() < fs_)):   # "muy bien" before: the service's
                    continue
                pol = "positive" if m.group("pos") else "negative" if m.group("neg") else "neutral"
                if (m.group(1) or _NOT_BEFORE.search(seg[:m.start()])) and pol != "neutral":
                    pol = "negative" if pol == "positive" else "positive"   # "not my idea of a good caramel"
                pols.append(pol)
                if not _NOT_TASTE_EVAL.search(seg[max(0, m.start() - 20):m.end() + 15]):
                    taste_pol = taste_pol or pol
            for rx, is_taste in ((_FOOD_LIKING, True), (_FOOD_ADVICE, False)):
                for m in rx.finditer(seg):
                    between = seg[min(fe_, m.end()):max(fs_, m.start())]
                    if _near(m, fs_, fe_) and not _OTHER_BETWEEN.search(between):
                        pols.append("positive" if m.group("pos") else "negative")
                        if is_taste:
                            taste_pol = taste_pol or pols[-1]
            salty = _SALTY.match(seg[fe_:])
            if salty:                                   # "pizza salada": a salty dish is a complaint
                out.append(Mention("salado", ci, f.start, f.end + salty.end(),
                                   text[f.start:f.end + salty.end()], "negative"))
                pols.append("negative")
            dry = _DRY.match(seg[fe_:])
            if dry and "alcoh" not in f.family:            # "vino seco" is a kind of wine
                pol = "positive" if "bien" in dry.group(0) else "negative"
                out.append(Mention("textura", ci, f.start, f.end + dry.end(), text[f.start:f.end + dry.end()],
                                   pol))
                pols.append(pol)
        # other attributes judged right next to a food ("las papas llegaron frías", "poca carne")
        pols += [m.lexical for m in found + out if m.clause == ci and m.lexical and m.attribute != "precio"
                 and any(m.start - f.end <= NEAR and f.start - m.end <= NEAR for f in fs)]
        if not pols:
            continue                                  # a food merely named: not a judgement
        pol = "negative" if "negative" in pols else "positive" if "positive" in pols else "neutral"
        f0 = fs[0]
        out.append(Mention("ingredientes", ci, f0.start, f0.end, f0.cue, pol))
        if taste_pol and not any(m.attribute == "sabor" and m.clause == ci for m in found):
            out.append(Mention("sabor", ci, f0.start, f0.end, f0.cue, taste_pol))
    return out


def find_mentions(text: str, clauses: list[tuple[int, int]] | None = None, foods: list | None = None,
                  ) -> list[Mention]:
    """Lexicon hits, one per (attribute, clause), with lexical polarity cues when present.

    `foods`: the text's food mentions (models.mentions.find_foods with the same clauses), found here
    when not given; a food the clause judges gives `ingredientes` with that polarity."""
    clauses = split_clauses(text) if clauses is None else clauses
    low = fold(text)
    found: list[Mention] = []
    for ci, (a, b) in enumerate(clauses):
        seg = low[a:b]
        for attr in ATTRIBUTES:
            m = _LEX[attr].search(seg)
            if not m and attr == "empaque" and _NEG["empaque"].search(seg):
                # a container noun counts as packaging only when its state is described
                m = _CONTAINER.search(seg)
            if m and attr == "aroma" and _NOT_FOOD_SMELL.search(seg):
                m = None             # the smell of the street or the toilets is not the food's
            if m and attr == "picante" and not (_HEAT.search(seg) or _POS["picante"].search(seg)):
                m = None             # a chili named, no word on its heat
            if (m and attr == "dulce" and m.group(0).startswith("azucar") and _LISTING.search(seg)
                    and not (_NEG["dulce"].search(seg) or _POS["dulce"].search(seg))):
                m = None             # sugar listed among the ingredients
            lexical = None
            if attr == "sabor":
                ev = food_evaluation(seg)
                if not m and ev:
                    s0, e0, lexical = ev
                    found.append(Mention(attr, ci, a + s0, a + e0, text[a + s0:a + e0], lexical))
                    continue
            if not m:
                continue
            lexical = _lexical(attr, seg)
            if lexical is None and attr == "sabor" and ev:
                lexical = ev[2]
            found.append(Mention(attr, ci, a + m.start(), a + m.end(), text[a + m.start():a + m.end()],
                                 lexical))
    if foods is None:
        from models.mentions import find_foods

        foods = find_foods(text, clauses)
    if foods:
        extra = _food_rows(text, low, clauses, foods, found)
        have = {(m.attribute, m.clause): m for m in found}
        for m in extra:
            if (m.attribute, m.clause) not in have:
                found.append(m)
            elif have[(m.attribute, m.clause)].lexical is None:      # "pizza salada": the food's cue decides
                have[(m.attribute, m.clause)].lexical = m.lexical
    return found


# Prototype phrases for the similarity path (paraphrases the lexicon misses).
PROTOTYPES: dict[str, list[str]] = {
    "dulce": ["está muy dulce", "demasiada azúcar", "too sweet"],
    "salado": ["está muy salado", "le falta sal", "too salty"],
    "picante": ["pica mucho", "muy picante", "very spicy"],
    "ácido": ["está ácido", "sabe agrio", "very sour"],
    "amargo": ["sabe amargo", "tiene un regusto amargo", "bitter aftertaste"],
    "sabor": ["no sabe a nada", "tiene buen sabor", "it tastes great"],
    "aroma": ["huele muy bien", "tiene un olor raro", "it smells bad"],
    "textura": ["la textura es crujiente", "está duro y seco", "soggy texture"],
    "frescura": ["no estaba fresco", "el pescado es fresco", "it was stale"],
    "temperatura": ["la comida llegó fría", "estaba caliente", "it arrived cold"],
    "precio": ["es muy caro para lo que es", "buena relación calidad precio", "too expensive"],
    "porción": ["las porciones son pequeñas", "raciones abundantes", "small portions"],
    "empaque": ["el empaque llegó roto", "la bolsa venía abierta", "the package was damaged"],
    "saludable": ["es un producto sano y natural", "tiene mucha grasa", "healthy snack"],
    "ingredientes": ["los ingredientes son de calidad", "contiene conservantes",
                     "made with real ingredients"],
}


def attribute_rows(text: str, clauses: list[tuple[int, int]], mentions: list[Mention],
                   clause_probs: np.ndarray) -> list[dict]:
    """One row per attribute of the text (several clauses → strongest evidence wins ties by order).

    `clause_probs`: (len(clauses), 3) sentiment probabilities of each clause's vector.
    """
    rows: dict[str, dict] = {}
    for m in mentions:
        p = clause_probs[m.clause]
        score = float(p[2] - p[0])
        pol = m.lexical or polarity_from_probs(p)
        if m.lexical == "negative":
            score = min(score, -0.5)
        elif m.lexical == "positive":
            score = max(score, 0.5)
        a, b = clauses[m.clause]
        ev = text[a:b]
        if len(ev) > MAX_EVIDENCE:   # keep the cue visible in a long clause
            s = max(a, min(m.start - MAX_EVIDENCE // 2, b - MAX_EVIDENCE))
            ev = text[s:s + MAX_EVIDENCE]
        row = {"attribute": m.attribute, "polarity": pol, "score": round(score, 4), "evidence": ev,
               "start": m.start, "end": m.end, "cue": m.cue}
        prev = rows.get(m.attribute)
        # A complaint outweighs praise in another clause of the same comment (it is what gets fixed).
        if prev is None or (pol == "negative" and prev["polarity"] != "negative"):
            rows[m.attribute] = row
    return [rows[a] for a in ATTRIBUTES if a in rows]


def format_attributes(rows: list[dict]) -> str:
    """Readable one-cell form for CSV output: 'dulce:-; empaque:-; sabor:+' (0 = neutral)."""
    sign = {"positive": "+", "negative": "-", "neutral": "0"}
    return "; ".join(f"{r['attribute']}:{sign[r['polarity']]}" for r in rows)


