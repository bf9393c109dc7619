"""German fragments for the demo's comments (customers with a de-* locale answer the German survey).

The same shape as `phrases` (banks by theme and tone, openings, closings, details), written for cxloop. Slots that
English code fills with English words ({late}, {wait}, {setup}, ...) are not used here; {agent} and {feature} are
names and stay as they are.
"""

from __future__ import annotations

import re

from cxloop.demo.phrases import lines_of

THEME_PATTERNS: dict[str, re.Pattern[str]] = {
    "billing": re.compile(r"rechnung|abbuch|lastschrift|zahlung|karte|gutschrift|erstattung|doppelt", re.I),
    "onboarding": re.compile(r"einricht|einstieg|import|start|onboarding|anfang|konfigur|einlad|eingeladen", re.I),
    "delivery": re.compile(r"liefer|paket|kurier|sendung|karton|zugestellt|ankam|angekommen", re.I),
    "support_wait": re.compile(r"wart|antwort|gemeldet|rückruf|stunden|tage|schnell|warteschleife", re.I),
    "support_resolution": re.compile(r"weitergeleitet|gelöst|lösung|erneut|offen|erklärt|hinterher", re.I),
    "product_quality": re.compile(r"fehler|absturz|stürzt|langsam|zuverlässig|bug|ausfall|down|funktion|läuft", re.I),
    "pricing": re.compile(r"preis|teuer|kosten|gebühr|geld|rabatt|günstig|leistung", re.I),
    "ease_of_use": re.compile(r"einfach|intuitiv|klick|übersicht|bedien|finde|verwirrend|umständlich", re.I),
    "agent_praise": re.compile(r"\{agent\}|danke|hilfsbereit|geduld|freundlich|kompetent|super", re.I),
}

FRAGMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "billing": {
        "neg": lines_of("""
            Wir wurden für denselben Monat doppelt abgebucht.
            Seit der Umstellung stimmen die Rechnungen nicht mehr mit unseren Bestellungen überein.
            Die Lastschrift ist fehlgeschlagen, obwohl auf unserem Konto genug Geld war.
            Auf der Rechnung fehlt schon wieder unsere USt-IdNr.
            Die Erstattung lässt seit Wochen auf sich warten.
            Wir bekommen Mahnungen für Rechnungen, die längst bezahlt sind.
        """),
        "brief_neg": lines_of("""
            Rechnungen falsch
            schon wieder doppelt abgebucht
            Zahlungsprobleme
        """),
        "pos": lines_of("""
            Die Rechnungen sind übersichtlich und stimmen.
            Mit der Zahlung hatten wir noch nie Ärger.
            Alle Rechnungen auf einen Klick für die Buchhaltung, sehr praktisch.
            Eine doppelte Abbuchung wurde innerhalb eines Tages erstattet.
        """),
        "brief_pos": lines_of("""
            Abrechnung passt
            Rechnungen immer korrekt
        """),
        "wish": lines_of("""
            Schön wäre eine Sammelrechnung pro Kostenstelle.
            Bitte die Bestellnummer auf jede Rechnung drucken.
        """),
    },
    "onboarding": {
        "neg": lines_of("""
            Die Einrichtung hat viel zu lange gedauert.
            Der Import unserer Artikelliste ist dreimal abgebrochen.
            Beim Start fühlten wir uns ziemlich allein gelassen.
            Die Konfiguration der Freigaben ist ohne Hilfe kaum zu schaffen.
            Kollegen einladen hat erst beim zweiten Anlauf geklappt.
        """),
        "brief_neg": lines_of("""
            Einrichtung mühsam
            Import hat nicht geklappt
        """),
        "pos": lines_of("""
            Die Einrichtung war in einer Stunde erledigt.
            Der Einstieg war dank der Anleitung sehr leicht.
            Der Import unserer Daten lief ohne Probleme.
            Das Onboarding-Gespräch hat uns viel Zeit gespart.
        """),
        "brief_pos": lines_of("""
            schneller Start
            Einrichtung ganz einfach
        """),
        "wish": lines_of("""
            Ein kurzes Video zur Einrichtung wäre hilfreich.
            Beim Import könnte es eine Vorlage geben.
        """),
    },
    "delivery": {
        "neg_late": lines_of("""
            Die Lieferung kam wieder zu spät.
            Das Paket ist Tage nach dem zugesagten Termin angekommen.
            Die Sendung hing ewig beim Kurier fest.
        """),
        "neg_damaged": lines_of("""
            Der Karton kam beschädigt an, die Hälfte war kaputt.
            Das Paket war aufgerissen und nass, als es ankam.
        """),
        "neg": lines_of("""
            Mit der Lieferung gibt es ständig Probleme.
            Die Sendungsverfolgung zeigt nie den richtigen Stand.
            Der Kurier hat das Paket einfach vor die Tür gestellt.
        """),
        "brief_neg": lines_of("""
            Lieferung zu spät
            Paket beschädigt
        """),
        "pos": lines_of("""
            Die Lieferung kam pünktlich wie immer.
            Bestellt am Nachmittag, am nächsten Morgen war das Paket da.
            Alles gut verpackt und vollständig angekommen.
            Der Kurier ist immer freundlich und pünktlich.
        """),
        "brief_pos": lines_of("""
            schnelle Lieferung
            pünktlich geliefert
            Paket kam schnell
        """),
        "wish": lines_of("""
            Ein Lieferfenster am Vormittag wäre super.
            Weniger Verpackung im Paket wäre schön.
        """),
    },
    "support_wait": {
        "neg": lines_of("""
            Auf eine Antwort vom Support haben wir viel zu lange gewartet.
            Ewig in der Warteschleife, dann wurde aufgelegt.
            Zwei Tage ohne Antwort auf ein dringendes Ticket.
            Niemand hat sich gemeldet, obwohl ein Rückruf versprochen war.
        """),
        "brief_neg": lines_of("""
            zu lange gewartet
            keine Antwort
        """),
        "pos": lines_of("""
            Der Support hat innerhalb von Minuten geantwortet.
            Schnelle Antwort, so soll es sein.
            Ich musste kaum warten.
        """),
        "pos_improved": lines_of("""
            Die Antworten kommen inzwischen viel schneller als früher.
            Man wartet nicht mehr stundenlang, das hat sich sehr verbessert.
        """),
        "brief_pos": lines_of("""
            schnelle Antwort
            kaum Wartezeit
        """),
        "wish": lines_of("""
            Ein Rückruf statt Warteschleife wäre toll.
        """),
    },
    "support_resolution": {
        "neg_transfer": lines_of("""
            Ich wurde dreimal weitergeleitet und musste alles neu erklären.
            Von einer Abteilung zur nächsten weitergeleitet, keiner fühlte sich zuständig.
        """),
        "neg_reopen": lines_of("""
            Das Problem war angeblich gelöst, ist aber wieder offen.
            Wir mussten das Ticket erneut öffnen, weil nichts passiert ist.
        """),
        "neg": lines_of("""
            Das Problem ist immer noch nicht gelöst.
            Ich musste ständig hinterher telefonieren.
        """),
        "brief_neg": lines_of("""
            nicht gelöst
            immer noch offen
        """),
        "pos": lines_of("""
            Das Problem wurde gleich beim ersten Kontakt gelöst.
            Alles verständlich erklärt und sofort gelöst.
        """),
        "brief_pos": lines_of("""
            schnell gelöst
            Problem gelöst, danke
        """),
        "wish": lines_of("""
            Eine Lösung ohne Weiterleiten wäre schön.
        """),
    },
    "product_quality": {
        "neg_outage": lines_of("""
            Die Plattform war tagelang down, wir konnten nichts bestellen.
            Während des Ausfalls ging gar nichts, und keiner hat uns informiert.
            Der Ausfall letzte Woche hat unsere ganze Bestellung durcheinandergebracht.
        """),
        "neg": lines_of("""
            Die App stürzt beim Export ständig ab.
            Seit dem letzten Update ist alles furchtbar langsam.
            Die Funktion {feature} hat dauernd Fehler.
            Bestellungen verschwinden aus dem Warenkorb, irgendein Bug.
        """),
        "brief_neg": lines_of("""
            zu viele Fehler
            App stürzt ab
        """),
        "pos": lines_of("""
            Die Software läuft stabil und zuverlässig.
            {feature} funktioniert bei uns hervorragend.
            Seit dem Update läuft alles deutlich schneller.
        """),
        "brief_pos": lines_of("""
            läuft zuverlässig
            funktioniert einwandfrei
        """),
        "wish": lines_of("""
            {feature} sollte auch mit unserem ERP funktionieren.
        """),
    },
    "pricing": {
        "neg": lines_of("""
            Für kleine Firmen ist das einfach zu teuer.
            Die Preise sind gestiegen, die Leistung nicht.
            Die Liefergebühr bei kleinen Bestellungen ist ärgerlich.
        """),
        "brief_neg": lines_of("""
            zu teuer
            Preis stimmt nicht
        """),
        "pos": lines_of("""
            Preis und Leistung stimmen.
            Wir sparen im Vergleich zu vorher viel Geld.
        """),
        "brief_pos": lines_of("""
            fairer Preis
            gutes Preis-Leistungs-Verhältnis
        """),
        "wish": lines_of("""
            Ein Rabatt für Jahreszahler wäre nett.
        """),
    },
    "ease_of_use": {
        "neg": lines_of("""
            Die Bedienung ist umständlich, zu viele Klicks.
            Ich finde die Bestellhistorie nie auf Anhieb.
            Das neue Menü ist verwirrend.
        """),
        "brief_neg": lines_of("""
            umständlich
            verwirrend
        """),
        "pos": lines_of("""
            Sehr einfach zu bedienen, auch für neue Kollegen.
            Alles ist übersichtlich und intuitiv.
            Nachbestellen geht mit zwei Klicks.
        """),
        "brief_pos": lines_of("""
            einfach zu bedienen
            sehr intuitiv
            übersichtlich
        """),
        "wish": lines_of("""
            Eine Suche nach Artikelnummer würde die Bedienung einfacher machen.
        """),
    },
    "agent_praise": {
        "pos": lines_of("""
            {agent} war super hilfsbereit, vielen Dank.
            Danke an {agent} für die Geduld.
            {agent} hat alles freundlich und kompetent erklärt.
        """),
        "brief_pos": lines_of("""
            danke {agent}!
            {agent} war super
        """),
    },
}

OPENINGS: dict[str, tuple[str, ...]] = {
    "neg": lines_of("""
        Ehrlich gesagt:
        Schade.
        Enttäuschend.
        Ärgerlich.
        Nicht zufrieden.
    """),
    "mixed": lines_of("""
        Im Großen und Ganzen ok.
        Geht so.
        Eigentlich ganz gut.
        Durchwachsen.
    """),
    "pos": lines_of("""
        Super!
        Sehr zufrieden.
        Top.
        Klasse.
        Bin begeistert.
    """),
}

CLOSINGS: dict[str, tuple[str, ...]] = {
    "neg": lines_of("""
        Bitte dringend beheben.
        Wir schauen uns nach Alternativen um.
        So nicht.
        Das muss besser werden.
    """),
    "mixed": lines_of("""
        Sonst passt es.
        Hoffentlich wird das besser.
        Ansonsten alles gut.
    """),
    "pos": lines_of("""
        Weiter so!
        Gerne weiterempfohlen.
        Danke ans Team!
        Klare Empfehlung.
    """),
}

NOTHING_TO_SAY = lines_of("""
    nichts
    -
    keine Angabe
    passt
    alles gut
    nein
""")

MIXED_JOINERS = (", aber ", ". Allerdings ", ". Nur: ", ", nur ")

# Context a writer adds about themselves; the numbers are filled per comment (demo/comments.py).
DETAILS = lines_of("""
    Wir bestellen für {sites} Standorte.
    Wir sind ein Team von {team} Leuten.
    Kunde seit {years} Jahren.
    Das ist schon das {count}. Mal.
    Bei uns arbeiten {team} Leute mit dem System.
    Betrifft Bestellung {order}.
""")
