from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views

api_v1 = [
    # the API's own address leads to its documentation (each endpoint, tried in the browser)
    path("", RedirectView.as_view(pattern_name="api:docs"), name="root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include("accounts.api_urls")),
    path("", include("engine.api_urls")),
    path("", include("workflows.plans.api_urls")),
    path("", include("workflows.review.api_urls")),
    path("", include("cases.confidential.api_urls")),
    path("", include("workflows.monitoring.api_urls")),
    path("", include("workflows.observations.api_urls")),
    path("", include("cases.api_urls")),
    path("", include("cases.complaints.api_urls")),
    path("", include("workflows.surveys.api_urls")),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.healthz, name="healthz"),
    path("favicon.ico", account_views.favicon, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("", include("engine.urls")),
    path("plans/", include("workflows.plans.urls")),
    path("review/", include("workflows.review.urls")),
    path("", include("cases.confidential.urls")),
    path("monitoring/", include("workflows.monitoring.urls")),
    path("observations/", include("workflows.observations.urls")),
    path("statedata/", include("workflows.statedata.urls")),
    path("", include("cases.complaints.urls")),
    path("cases/", include("cases.urls")),
    path("surveys/", include("workflows.surveys.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_v1, "api"))),
    path("admin/", admin.site.urls),
]

if settings.CAS_LOCAL_SERVER:
    # The demo's and the tests' CAS server (django-cas-server); a college points CAS_SERVER_URL
    # at its own.
    urlpatterns.append(path("cas/", include("cas_server.urls", namespace="cas_server")))

handler400 = "accounts.views.error_400"
handler403 = "accounts.views.error_403"
handler404 = "accounts.views.error_404"
handler500 = "accounts.views.error_500"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.STATIC_URL, document_root=settings.STATIC_ROOT)
