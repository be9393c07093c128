"""The forms of the staff web (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from service_domain.model import FollowUpStepKind, Interpretation, ResultRelease, SamplingMode
from service_domain.staff import StaffFunction

from . import texts

REQUIRED = "Fyll i fältet."


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select or a set of checkboxes."""
    return [SelectChoice(str(value), str(label)) for value, label in pairs]


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DevLoginForm(FlaskForm):
    hsa_id = StringField("HSA-id", validators=[DataRequired(REQUIRED), Length(max=31)])
    password = PasswordField("Lösenord", validators=[DataRequired(REQUIRED), Length(max=256)])
    next = HiddenField()
    submit = SubmitField("Logga in")


class CardLoginForm(FlaskForm):
    next = HiddenField()
    submit = SubmitField("Logga in med kort")


class ButtonForm(FlaskForm):
    """A form that is only a button (and its CSRF token)."""


class UnitForm(FlaskForm):
    unit = SelectField("Vårdenhet du arbetar på", validators=[DataRequired(REQUIRED)])
    submit = SubmitField("Välj vårdenhet")


class PatientSearchForm(FlaskForm):
    number = StringField(
        "Personnummer eller samordningsnummer",
        validators=[DataRequired(REQUIRED), Length(max=20)],
        description="ÅÅÅÅMMDD-NNNN",
    )
    submit = SubmitField("Sök patient")


class AssignForm(FlaskForm):
    offer_code = SelectField("Erbjudande", validators=[DataRequired(REQUIRED)])
    valid_days = IntegerField(
        "Giltigt antal dagar", validators=[Optional(), NumberRange(1, 3650, "Ange 1–3650 dagar.")],
        description="Tomt: erbjudandets egen giltighetstid.",
    )
    max_orders = IntegerField(
        "Antal beställningar", validators=[Optional(), NumberRange(1, 1000, "Ange 1–1000.")],
        description="Tomt: erbjudandets eget antal.",
    )
    comment = TextAreaField("Kommentar till patienten", validators=[Optional(), Length(max=1000)])
    submit = SubmitField("Tilldela erbjudandet")


class DeskSearchForm(FlaskForm):
    query = StringField(
        "Personnummer eller remisskod",
        validators=[DataRequired(REQUIRED), Length(max=20)],
        description="Skriv eller skanna.",
    )
    submit = SubmitField("Sök beställning")


class SpecimenForm(FlaskForm):
    barcode = StringField(
        "Provrörets streckkod",
        validators=[DataRequired("Skanna eller skriv provrörets streckkod."), Length(max=64)],
        description="Skanna provröret: streckkodsläsaren skriver koden och trycker Enter.",
    )
    submit = SubmitField("Registrera provet")


class StepForm(FlaskForm):
    kind = SelectField("Steg", choices=options((k.value, texts.STEP[k]) for k in FollowUpStepKind))
    time = DateTimeLocalField("När", format="%Y-%m-%dT%H:%M", validators=[InputRequired(REQUIRED)])
    note = TextAreaField("Anteckning", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Registrera steget")


class CloseCaseForm(FlaskForm):
    note = TextAreaField("Anteckning vid avslut (skälet, om patienten inte är kontaktad)",
                         validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Avsluta ärendet och släpp svaret till patienten")


class StaffForm(FlaskForm):
    hsa_id = StringField("HSA-id", validators=[DataRequired(REQUIRED), Length(max=31)])
    name = StringField("Namn", validators=[DataRequired(REQUIRED), Length(max=255)])
    functions = Checkboxes("Behörigheter på din vårdenhet", choices=options((f.value, texts.FUNCTION[f]) for f in StaffFunction))
    password = PasswordField(
        "Lösenord för utvecklingsinloggning",
        validators=[Optional(), Length(min=8, max=256, message="Minst 8 tecken.")],
        description="Bara för utveckling och test. Lämna tomt om medarbetaren loggar in med kort.",
    )
    submit = SubmitField("Registrera medarbetaren")


class FunctionsForm(FlaskForm):
    unit = HiddenField()
    functions = Checkboxes("Behörigheter", choices=options((f.value, texts.FUNCTION[f]) for f in StaffFunction))
    submit = SubmitField("Spara behörigheterna")


class PersonIdForm(FlaskForm):
    """A staff member's personal identity number (the log review's check of one's own data)."""

    number = StringField("Personnummer", validators=[Optional(), Length(max=20, message="Högst 20 tecken.")],
                         description="ÅÅÅÅMMDD-NNNN. Visas aldrig; används bara för att se om medarbetaren läser sina egna uppgifter.")
    submit = SubmitField("Spara personnumret")
    remove = SubmitField("Ta bort personnumret")


class PasswordForm(FlaskForm):
    password = PasswordField(
        "Nytt lösenord för utvecklingsinloggning",
        validators=[DataRequired(REQUIRED), Length(min=8, max=256, message="Minst 8 tecken.")],
    )
    submit = SubmitField("Spara lösenordet")


class CodeForm(Form):
    """A coded value (CVType). No rules here: the catalogue's reading checks the entry."""

    code = StringField("Kod")
    code_system = StringField("Kodsystem (OID)")
    display_name = StringField("Kodens text")
    code_system_name = StringField("Kodsystemets namn")
    code_system_version = StringField("Kodsystemets version")
    original_text = StringField("Fritext (okodat begrepp, i stället för kod)")


class CatalogueAnalysisForm(Form):
    code = FormField(CodeForm)
    display_name = StringField("Namn som patienten ser")
    positives = FieldList(FormField(CodeForm))


class DefinitionForm(FlaskForm):
    """Every field of a catalogue entry. The fields take any text: the entry built from them is
    read as an imported document is (staff_web.catalogue_form), and its problems are shown here."""

    offer_code = StringField("Kod", description="Bokstäver, siffror, _ . -")
    display_name = StringField("Namn som patienten ser")
    analyses = FieldList(FormField(CatalogueAnalysisForm))
    sampling_modes = Checkboxes("Provtagningssätt", choices=options((m.value, texts.SAMPLING_MODE[m]) for m in SamplingMode),
                                validate_choice=False)
    material = FormField(CodeForm)
    notifiable = BooleanField("Anmälningspliktig (smittskydd)")
    result_release = SelectField("Svaret släpps till patienten",
                                 choices=options((r.value, texts.RESULT_RELEASE[r]) for r in ResultRelease),
                                 validate_choice=False)
    validity_days = StringField("Giltighet i dagar")
    max_orders = StringField("Antal beställningar per erbjudande")
    performing_lab = StringField("Laboratorium (HSA-id)")
    min_age = StringField("Lägsta ålder", description="Frivillig.")
    max_age = StringField("Högsta ålder", description="Frivillig.")
    kit_return_days = StringField(
        "Returtid för hemprov, dagar", description="Hur många dagar efter giltighetstidens slut ett "
        "utskickat hemprov tas emot. Tomt: inga.")
    patient_instructions = TextAreaField("Instruktioner till patienten")
    self_service = BooleanField("Patienten kan beställa själv, utan vårdkontakt (egen beställning)")
    self_service_orders_per_year = StringField(
        "Högst antal egna beställningar per patient och tolv månader", description="Tomt: ingen gräns.")
    accountable_care_unit = StringField("Ansvarig vårdenhet (HSA-id)",
                                        description="Krävs för egen beställning.")
    active = BooleanField("Aktivt (patienter kan få det)", default=True)
    submit = SubmitField("Spara")
    more = SubmitField("Fler tomma rader")


class ImportForm(FlaskForm):
    document = FileField("Sortimentsfil (YAML eller JSON)", validators=[FileRequired("Välj en fil.")])
    replace_all = BooleanField("Ersätt hela sortimentet (poster som inte finns i filen avaktiveras)")
    submit = SubmitField("Importera")


# ---------------------------------------------------------------- results typed in by hand
# Lengths as the contract's schema has them (ShortTextType 255, LongTextType 4000, units 64).

CHOOSE = "Välj ett av alternativen."
DECIMAL_HINT = "Ett tal, med komma eller punkt."


class ReferralSearchForm(FlaskForm):
    referral = StringField("Remisskod", validators=[DataRequired(REQUIRED), Length(max=16)],
                           description="Skriv eller skanna remisskoden på laboratoriets svar.")
    submit = SubmitField("Sök")


class ResultForm(FlaskForm):
    """What holds for the whole result version."""

    report = RadioField(
        "Svarets status",
        choices=options((("PRELIMINARY", "Preliminärt svar (fler svar kommer)"), ("FINAL", "Slutligt svar"))),
        default="FINAL", invalid_choice_message=CHOOSE,
    )
    report_time = DateTimeLocalField(
        "Laboratoriets svarstid", format="%Y-%m-%dT%H:%M", validators=[InputRequired("Ange datum och tid.")],
        description="När laboratoriet lämnade svaret.",
    )
    laboratory_id = StringField(
        "Laboratoriets svarsnummer", validators=[Optional(), Length(max=64, message="Högst 64 tecken.")],
        description="Frivilligt. Bokstäver, siffror och . _ : -",
    )
    comment = TextAreaField("Kommentar till hela svaret",
                            validators=[Optional(), Length(max=4000, message="Högst 4000 tecken.")])
    based_on = HiddenField()  # the newest version when the form was shown
    submit = SubmitField("Spara svaret")


INTERPRETATIONS = options((("", "Ingen bedömning"), *((i.value, texts.INTERPRETATION[i]) for i in Interpretation)))
LIMIT_OPS = options((("<", "mindre än (<)"), ("<=", "högst (≤)"), (">", "större än (>)"), (">=", "minst (≥)")))


class AnalysisForm(Form):
    """One analysis of the order (no CSRF token of its own: it is part of a ResultForm's page).
    The choices of ``kind`` and ``coded`` depend on the analysis and are set per form."""

    kind = RadioField("Svar", invalid_choice_message=CHOOSE)
    value = StringField("Värde", validators=[Optional(), Length(max=40, message="Högst 40 tecken.")],
                        description=DECIMAL_HINT)
    unit = StringField("Enhet (UCUM)", validators=[Optional(), Length(max=64, message="Högst 64 tecken.")],
                       description="Till exempel mmol/mol, g/L, 10*9/L, %")
    coded = SelectField("Fynd", validate_choice=False)  # checked against the analysis's findings
    text = TextAreaField("Svar i text", validators=[Optional(), Length(max=4000, message="Högst 4000 tecken.")])
    limit_op = SelectField("Jämförelse", choices=LIMIT_OPS, invalid_choice_message=CHOOSE)
    limit_value = StringField("Gränsvärde", validators=[Optional(), Length(max=40, message="Högst 40 tecken.")],
                              description=DECIMAL_HINT)
    limit_unit = StringField("Enhet (UCUM)", validators=[Optional(), Length(max=64, message="Högst 64 tecken.")])
    interpretation = SelectField("Bedömning", choices=INTERPRETATIONS, invalid_choice_message=CHOOSE)
    ref_low = StringField("Lägst", validators=[Optional(), Length(max=40, message="Högst 40 tecken.")])
    ref_high = StringField("Högst", validators=[Optional(), Length(max=40, message="Högst 40 tecken.")])
    ref_unit = StringField("Enhet (UCUM)", validators=[Optional(), Length(max=64, message="Högst 64 tecken.")],
                           description="Tomt: samma som värdets.")
    ref_text = StringField("Som text", validators=[Optional(), Length(max=255, message="Högst 255 tecken.")],
                           description="Till exempel: Ej påvisad")
    comment = TextAreaField("Kommentar", validators=[Optional(), Length(max=4000, message="Högst 4000 tecken.")])


class WithdrawForm(FlaskForm):
    comment = TextAreaField(
        "Varför återkallas svaret?",
        validators=[DataRequired("Skriv varför svaret återkallas."), Length(max=1000, message="Högst 1000 tecken.")],
    )
    confirm = BooleanField(
        "Jag har kontrollerat att svaret registrerades av misstag",
        validators=[DataRequired("Bekräfta att svaret registrerades av misstag.")],
    )
    version = HiddenField()
    submit = SubmitField("Återkalla svaret")


class Day(DateField):
    """A date field whose complaint is in Swedish."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("Skriv datumet som ÅÅÅÅ-MM-DD.") from None


class LogSearchForm(FlaskForm):
    """The log review's filters, each optional; the period in Swedish calendar days."""

    patient = StringField("Patientens personnummer", validators=[Optional(), Length(max=20, message="Högst 20 tecken.")],
                          description="ÅÅÅÅMMDD-NNNN")
    staff = StringField("Medarbetarens HSA-id", validators=[Optional(), Length(max=31, message="Högst 31 tecken.")])
    care_unit = StringField("Vårdenhetens HSA-id", validators=[Optional(), Length(max=31, message="Högst 31 tecken.")])
    system = StringField("Systemets HSA-id", validators=[Optional(), Length(max=31, message="Högst 31 tecken.")],
                         description="Det anropande systemet, till exempel personalwebben eller ett journalsystem.")
    interaction = SelectField("Händelse", validators=[Optional()])
    start = Day("Från och med", validators=[Optional()], format="%Y-%m-%d")
    end = Day("Till och med", validators=[Optional()], format="%Y-%m-%d")
    rule = SelectField("Kontroll", validators=[Optional()])
    submit = SubmitField("Sök")


class FlagReviewForm(FlaskForm):
    rule = HiddenField(validators=[DataRequired()])
    record_id = HiddenField(validators=[DataRequired()])
    note = TextAreaField("Anteckning", validators=[DataRequired("Skriv en anteckning om granskningen."),
                                                   Length(max=1000, message="Högst 1000 tecken.")])
    submit = SubmitField("Markera som granskad")
class AgreementForm(FlaskForm):
    care_giver = StringField("Vårdgivarens HSA-id", validators=[DataRequired(REQUIRED), Length(max=31)])
    valid_from = DateField("Första dag", validators=[InputRequired("Ange första dag som datum.")])
    valid_to = DateField("Sista dag", validators=[Optional()], description="Lämna tomt för ett avtal tills vidare.")
    own = BooleanField("Regionens egen vårdgivare")


class EndAgreementForm(FlaskForm):
    last_day = DateField("Sista dag", validators=[InputRequired("Ange sista dag som datum.")])


class RegionForm(FlaskForm):
    phone = StringField("Telefon till regionens support", validators=[Optional(), Length(max=32)],
                        description="Till exempel 08-123 456 00.")
    email = StringField("E-post till regionens support", validators=[Optional(), Length(max=254)])
    offer_codes = TextAreaField("Erbjudandekoder som vårdgivare under regionen får använda",
                                validators=[Length(max=4000)], description="Skilj koderna åt med komma eller radbrytning.")
    analyses = TextAreaField("Analyskoder som de får använda", validators=[Length(max=4000)],
                             description="Till exempel NPU27300. Skilj koderna åt med komma eller radbrytning.")
