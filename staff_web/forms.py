"""The forms of the staff web (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from service_domain.model import FollowUpStepKind, ResultRelease, SamplingMode
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
    performed_by = StringField("Av (HSA-id)", validators=[DataRequired(REQUIRED), Length(max=31)])
    note = TextAreaField("Anteckning", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Registrera steget")


class CloseCaseForm(FlaskForm):
    note = TextAreaField("Anteckning vid avslut", validators=[Optional(), Length(max=2000)])
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


class PasswordForm(FlaskForm):
    password = PasswordField(
        "Nytt lösenord för utvecklingsinloggning",
        validators=[DataRequired(REQUIRED), Length(min=8, max=256, message="Minst 8 tecken.")],
    )
    submit = SubmitField("Spara lösenordet")


class DefinitionForm(FlaskForm):
    offer_code = StringField("Kod", validators=[DataRequired(REQUIRED), Length(max=64)],
                             description="Bokstäver, siffror, _ . -")
    display_name = StringField("Namn som patienten ser", validators=[DataRequired(REQUIRED), Length(max=255)])
    analyses = TextAreaField(
        "Analyser", validators=[DataRequired(REQUIRED), Length(max=4000)],
        description="En per rad: kod; namn; kodsystem (OID, utelämnat: NPU).",
    )
    sampling_modes = Checkboxes("Provtagningssätt", choices=options((m.value, texts.SAMPLING_MODE[m]) for m in SamplingMode))
    material_code = StringField("Provmaterial, kod", validators=[Optional(), Length(max=64)])
    material_system = StringField("Provmaterial, kodsystem (OID)", validators=[Optional(), Length(max=64)])
    material_name = StringField("Provmaterial, namn", validators=[Optional(), Length(max=255)])
    notifiable = BooleanField("Anmälningspliktig (smittskydd)")
    result_release = SelectField("Svaret släpps till patienten",
                                 choices=options((r.value, texts.RESULT_RELEASE[r]) for r in ResultRelease))
    validity_days = IntegerField("Giltighet i dagar", validators=[InputRequired(REQUIRED)])
    max_orders = IntegerField("Antal beställningar per erbjudande", validators=[InputRequired(REQUIRED)])
    performing_lab = StringField("Laboratorium (HSA-id)", validators=[DataRequired(REQUIRED), Length(max=31)])
    min_age = IntegerField("Lägsta ålder", validators=[Optional()])
    max_age = IntegerField("Högsta ålder", validators=[Optional()])
    patient_instructions = TextAreaField("Instruktioner till patienten", validators=[Optional(), Length(max=4000)])
    active = BooleanField("Aktivt (patienter kan få det)", default=True)
    submit = SubmitField("Spara")


class ImportForm(FlaskForm):
    document = FileField("Sortimentsfil (YAML eller JSON)", validators=[FileRequired("Välj en fil.")])
    replace_all = BooleanField("Ersätt hela sortimentet (poster som inte finns i filen avaktiveras)")
    submit = SubmitField("Importera")
