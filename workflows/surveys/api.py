"""REST API: surveys in scope with their response rates, and a closed survey's results per
group (only groups with at least the survey's fewest answers)."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import access as survey_access
from . import selectors
from .models import Status, Survey


class SurveySerializer(serializers.ModelSerializer):
    questionnaire = serializers.CharField(source="questionnaire.code")
    period = serializers.CharField(source="period.code")
    unit = serializers.CharField(source="unit.code")

    class Meta:
        model = Survey
        fields = [
            "id",
            "title",
            "questionnaire",
            "period",
            "audience",
            "unit",
            "status",
            "closes_on",
            "grades_date",
            "min_responses",
        ]


class SurveyListView(generics.ListAPIView):
    """The surveys (评教, satisfaction surveys) the caller may see, paginated (`page`): every
    survey for the college-wide holders of `surveys.manage` or `surveys.results` (the quality
    office, the committee); for department and team leaders those of the units in their scope
    and those reaching their units' groups; for anyone else the list is empty. No filters."""

    serializer_class = SurveySerializer

    def get_queryset(self):
        return survey_access.visible_surveys(self.request.user).select_related(
            "questionnaire", "period", "unit"
        )


class ResultsSerializer(serializers.Serializer):
    progress = serializers.DictField()
    groups = serializers.ListField()


class SurveyResultsView(APIView):
    """A survey's response rates per unit (`progress`: eligible and answered counts, never
    who) and, once it is closed, its results per group (`groups`): the groups of the caller's
    `surveys.results` scope (every group for the quality office and the committee). A group
    with fewer answers than the survey's floor (its `min_responses`, never below
    SURVEYS_MIN_RESPONSES) shows no results (`shown` false). 404 when the caller may not see
    the survey (as in the list)."""

    @extend_schema(responses=ResultsSerializer)
    def get(self, request, pk):
        survey = survey_access.get_survey(request.user, pk)
        groups = survey_access.result_groups(request.user, survey)
        out = []
        if survey.status == Status.CLOSED:
            for v in selectors.group_views(survey, groups):
                out.append(
                    {
                        "group": v.group.label,
                        "responses": v.responses,
                        "shown": v.shown,
                        "results": [
                            {
                                "question": q.text,
                                "answers": r.answers if r else None,
                                "mean": str(r.mean) if r and r.mean is not None else None,
                                "top2": str(r.top2) if r and r.top2 is not None else None,
                            }
                            for q, r in v.results
                        ],
                    }
                )
        return Response({"progress": selectors.progress(survey, groups), "groups": out})
