"""The public side of a tracking code, shared by confidential reports and anonymous complaints:
look the code up, show the progress, take more information. No login; the code travels in the
request body, never in a URL.

A feature subclasses the page and API bases below with its hooks: `scope` (the rate-limit
buckets), `find_by_code`, `public_progress`, `add_information` and the not-found wording."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.schema import form_serializer

from . import intake
from .forms import AddInformationForm, TrackForm


class CodeHolder:
    """What the holder of a code may do with it; the hooks name the feature's objects."""

    scope = ""  # rate-limit buckets "<scope>-track" (per client) and "<scope>-code" (per code)

    def find_by_code(self, code: str):
        """The object the code opens, or None: one indexed query, whatever the input."""
        raise NotImplementedError

    def public_progress(self, obj) -> dict:
        raise NotImplementedError

    def add_information(self, obj, *, text: str, uploads):
        raise NotImplementedError

    def lookup(self, request, code: str):
        """Rate-limited per client and per code; the same answer for a wrong, malformed or
        missing code. Raises intake.RateLimited."""
        intake.hit(f"{self.scope}-track", intake.client_key(request), settings.INTAKE_RATE_TRACK)
        intake.hit(
            f"{self.scope}-code", intake.code_digest(code, "limit")[:32], settings.INTAKE_RATE_CODE
        )
        return self.find_by_code(code)


def form_errors_from(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def limited(request, template, context):
    context["limited"] = True
    return render(request, template, context, status=429)


# --- pages ----------------------------------------------------------------------------------------


class TrackPage(CodeHolder, View):
    """GET: the look-up form; POST: the progress page of the code's object."""

    template_name = ""  # the progress page
    form_template_name = ""  # the look-up form
    not_found_message = ""

    @classmethod
    def as_view(cls, **initkwargs):
        return intake.confidential_view(super().as_view(**initkwargs))

    def progress_context(self, obj, code: str, add_form=None) -> dict:
        return {
            "progress": self.public_progress(obj),
            "add_form": add_form or AddInformationForm(initial={"code": code}),
        }

    def progress_page(self, obj, code: str, status=200, **forms):
        context = self.progress_context(obj, code, **forms)
        return render(self.request, self.template_name, context, status=status)

    def rate_limited(self, form=None):
        return limited(self.request, self.form_template_name, {"form": form or TrackForm()})

    def get(self, request):
        return render(request, self.form_template_name, {"form": TrackForm()})

    def post(self, request):
        form = TrackForm(request.POST or None)
        if form.is_valid():
            code = form.cleaned_data["code"]
            try:
                obj = self.lookup(request, code)
            except intake.RateLimited:
                return self.rate_limited(form)
            if obj is not None:
                return self.progress_page(obj, code)
            form.add_error("code", self.not_found_message)
        return render(request, self.form_template_name, {"form": form})


class CodeActionPage(TrackPage):
    """A POST made with the code (add information, rate): look up first, then act."""

    http_method_names = ["post"]

    def not_found(self, code: str):
        """The look-up form with the not-found message, status 404."""
        raise NotImplementedError

    def post(self, request):
        code = request.POST.get("code", "")
        try:
            obj = self.lookup(request, code)
        except intake.RateLimited:
            return self.rate_limited()
        if obj is None:
            return self.not_found(code)
        return self.act(obj, code)

    def act(self, obj, code: str):
        raise NotImplementedError


class AddInformationPage(CodeActionPage):
    def act(self, obj, code):
        form = AddInformationForm(self.request.POST, self.request.FILES)
        if form.is_valid():
            try:
                self.add_information(
                    obj, text=form.cleaned_data["text"], uploads=form.cleaned_data["files"]
                )
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(self.request, _("Your information was added."))
                return self.progress_page(obj, code)
        return self.progress_page(obj, code, add_form=form, status=400)


# --- API ------------------------------------------------------------------------------------------


def form_error(form) -> Response:
    return Response(
        {"code": "invalid", "errors": form.errors.get_json_data()},
        status=status.HTTP_400_BAD_REQUEST,
    )


def rate_limited() -> Response:
    return Response(
        {"code": "rate_limited", "message": "Too many attempts. Please try again later."},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
    )


class PublicView(APIView):
    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        intake.protect_request(request._request)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class ChallengeSerializer(serializers.Serializer):
    token = serializers.CharField()
    question = serializers.CharField()


class IntakeReceiptSerializer(serializers.Serializer):
    number = serializers.CharField()
    code = serializers.CharField(help_text="The tracking code: shown only once.")
    warning = serializers.CharField()


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64)


class CodeApi(CodeHolder, PublicView):
    not_found_body: dict = {}

    def found(self, request, code: str):
        """(object, None), or (None, the 404 or 429 answer)."""
        try:
            obj = self.lookup(request, code)
        except intake.RateLimited:
            return None, rate_limited()
        if obj is None:
            return None, Response(self.not_found_body, status=status.HTTP_404_NOT_FOUND)
        return obj, None

    def invalid(self, exc: ValidationError) -> Response:
        """A refused step; by default the project's error handler answers it."""
        raise exc


class TrackApi(CodeApi):
    @extend_schema(request=CodeSerializer, responses={200: dict})
    def post(self, request):
        data = CodeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        obj, refusal = self.found(request, data.validated_data["code"])
        if refusal is not None:
            return refusal
        return Response(self.public_progress(obj))


class AddInformationApi(CodeApi):
    @extend_schema(
        request=form_serializer(AddInformationForm, "AddInformationSerializer"),
        responses={201: dict},
    )
    def post(self, request):
        form = AddInformationForm(request.data, request.FILES)
        obj, refusal = self.found(request, request.data.get("code", ""))
        if refusal is not None:
            return refusal
        if not form.is_valid():
            return form_error(form)
        try:
            self.add_information(
                obj, text=form.cleaned_data["text"], uploads=form.cleaned_data["files"]
            )
        except ValidationError as exc:
            return self.invalid(exc)
        return Response(self.public_progress(obj), status=status.HTTP_201_CREATED)
