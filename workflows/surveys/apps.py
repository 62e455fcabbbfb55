from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "workflows.surveys"
    label = "surveys"
    verbose_name = _("Surveys and student evaluation")

    def ready(self):
        from accounts import access, home, navigation
        from accounts.navigation import NavItem
        from engine import notifications
        from workflows.monitoring import hooks

        from . import capabilities as caps
        from . import selectors
        from .cards import survey_cards

        access.grant_capabilities(caps.ROLE_GRANTS)
        home.register(survey_cards)
        hooks.register_batch_namer(selectors.batch_names)
        navigation.register(
            NavItem(_("Surveys"), "surveys:survey_list", caps.MANAGE, navigation.Group.MONITORING)
        )
        navigation.register(
            NavItem(
                _("My questionnaires"), "surveys:mine", caps.ANSWER, navigation.Group.MONITORING
            )
        )
        navigation.register(
            NavItem(
                _("My evaluation results"),
                "surveys:teaching",
                caps.TEACH,
                navigation.Group.MONITORING,
            )
        )
        notifications.register_kind(
            "survey.reminder",
            label=_("Questionnaire reminder"),
            audience=(caps.ANSWER,),
            title=_("Please answer: {{ title }}"),
            body=_(
                "You have not yet answered “{{ title }}”. It closes on {{ closes_on }}. "
                "Your answers are anonymous. {{ url }}"
            ),
        )
