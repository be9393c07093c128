"""Swedish texts for what the service layer answers (its own messages are English, for logs
and SOAP faults)."""

from __future__ import annotations

from service_domain.errors import CallerRefused, DomainError, InvalidRequest, RuleViolation, SubCode
from service_domain.model.follow_up import NOT_CONTACTED
from service_domain.model.regions import OutsideRegion

BY_SUB_CODE = {
    SubCode.UNKNOWN_ID: "Uppgiften finns inte hos din vårdgivare.",
    SubCode.WRONG_STATE: "Det går inte just nu: erbjudandet eller beställningen är inte i ett läge som tillåter det.",
    SubCode.TRANSITION_REFUSED: "Beställningen kan inte få den statusen från den status den har nu.",
    SubCode.NOT_IN_CATALOGUE: "Erbjudandet passar inte patienten eller finns inte i vårdgivarens sortiment.",
    SubCode.VERSION_CONFLICT: "Provsvaret har redan en nyare eller annan version.",
    SubCode.NOT_PERMITTED: "Du har inte behörighet till det här.",
}

# the service layer's messages that staff meet most often, in Swedish
BY_MESSAGE = {
    "the patient's age is outside the offer's age limits": "Patientens ålder ligger utanför erbjudandets åldersgränser.",
    "the offer code is not in the care giver's catalogue": "Erbjudandet finns inte i vårdgivarens sortiment.",
    "the offer was already revoked": "Erbjudandet var redan återkallat.",
    "the offer has expired": "Erbjudandet har gått ut.",
    "this belongs to another care unit": "Det här hör till en annan vårdenhet.",
    "the follow-up case is already closed": "Uppföljningsärendet är redan avslutat.",
    "the follow-up case is closed": "Uppföljningsärendet är avslutat.",
    NOT_CONTACTED: "Patienten är inte registrerad som kontaktad. Registrera kontakten, eller skriv varför "
                   "ärendet avslutas utan den.",
    "close the order's follow-up case first": "Avsluta först beställningens uppföljningsärende.",
    "a staff member with that HSA-id is already registered": "Det finns redan en medarbetare med det HSA-id:t.",
    "the staff member belongs to another care giver": "Medarbetaren hör till en annan vårdgivare.",
    "permissions at a care unit are managed by its administrators": "Behörigheter på en vårdenhet ändras av enhetens administratörer.",
    "an administrator cannot take away their own ADMIN function": "Du kan inte ta bort din egen administratörsbehörighet.",
    "the staff member does not work at that care unit": "Medarbetaren arbetar inte på den vårdenheten.",
    "the step's time lies in the future": "Tidpunkten ligger i framtiden.",
    "the step's time lies before the case was opened": "Tidpunkten ligger före ärendets start.",
    "validTo must lie in the future": "Sista giltighetsdag måste ligga i framtiden.",
    "SPECIMEN_COLLECTED needs the collected specimen (its barcode)": "Skanna eller skriv provrörets streckkod.",
    "the order's lab sends its results through a connected system":
        "Beställningens laboratorium skickar sina svar via ett anslutet system; de registreras inte här.",
    "the order names no performing lab": "Beställningen har inget laboratorium angivet.",
    "the order is addressed to another lab": "Svaret måste gälla beställningens laboratorium.",
    "the order has a final result; send a CORRECTED report to change it":
        "Beställningen har redan fått ett slutligt svar. Ladda om sidan: en ändring sparas som rättelse.",
    "a withdrawal needs a comment saying why": "Skriv varför svaret återkallas.",
    "period ends before it starts": "Perioden slutar innan den börjar.",
    "the patient's id is 1 to 32 letters or digits": "Skriv patientens personnummer med siffror, till exempel 19121212-1212.",
    "the interaction is not one the service performs": "Välj en händelse i listan.",
    "the checks look at most 31 days at a time": "Kontrollerna går igenom högst 31 dagar åt gången. Välj en kortare period.",
    "the note must be 1 to 1000 characters": "Skriv en anteckning om granskningen (högst 1000 tecken).",
    "the flag is already reviewed": "Flaggan är redan markerad som granskad.",
    "no audit record of the care giver with that id": "Loggposten finns inte hos din vårdgivare.",
    "the care giver has an agreement for part of that period":
        "Vårdgivaren har redan ett avtal under en del av perioden. Avsluta det först eller välj en annan period.",
    "a region is not put under a region by agreement": "En region kan inte ha avtal med en region.",
    "an agreement cannot end before it begins": "Avtalet kan inte sluta innan det börjar.",
    "an agreement begins today or later":
        "Ett avtal börjar i dag eller senare. Ett avtal som redan har börjat registreras av förvaltningen.",
    "the staff member's care giver is not a region": "Din vårdgivare är inte en region.",
    "the newest result version is already a withdrawal": "Den senaste versionen är redan en återkallelse.",
}


REGION_REASONS = {
    "offer_code": "Regionens sortiment tillåter inte erbjudandekoden {code}. Inget sparades.",
    "analysis": "Regionens sortiment tillåter inte analysen {code}. Inget sparades.",
    "no_agreement": "Vårdgivaren har inget gällande avtal med regionen och kan inte erbjuda något nytt nu.",
    "home_region": "Erbjudandet hör inte till patientens hemregion.",
}


def swedish(error: DomainError) -> str:
    if isinstance(error, OutsideRegion):
        return REGION_REASONS[error.reason].format(code=error.code)
    if error.message in BY_MESSAGE:
        return BY_MESSAGE[error.message]
    if error.message.startswith("the offer cannot be ordered from"):
        return "Erbjudandet kan inte användas längre."
    if error.message.startswith("an order in status"):
        return "Beställningen har redan gått vidare och kan inte få den statusen nu."
    if isinstance(error, RuleViolation):
        return BY_SUB_CODE[error.sub_code]
    if isinstance(error, CallerRefused):
        return "Du har inte behörighet till det här på den vårdenhet du arbetar på."
    if isinstance(error, InvalidRequest):
        return "Uppgifterna godtogs inte. Kontrollera det du skrev och försök igen."
    return "Det gick inte att genomföra."
