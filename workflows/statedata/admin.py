from django.contrib import admin

from .models import Profile, ProfileColumn, Upload


class ProfileColumnInline(admin.TabularInline):
    model = ProfileColumn
    extra = 0
    autocomplete_fields = ["indicator"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    """Profiles are edited on the quality office's pages (statedata/), which check the columns
    against the subject key and keep the version; here for inspection and emergencies."""

    list_display = ["code", "name", "subject_key", "period_column", "period", "is_active"]
    list_filter = ["subject_key", "is_active"]
    search_fields = ["code", "name"]
    readonly_fields = ["version", "updated_by", "updated_at"]
    inlines = [ProfileColumnInline]


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    list_display = ["file_name", "profile", "actor", "created_at", "preview_run", "import_run"]
    list_filter = ["profile"]
    raw_id_fields = ["actor", "preview_run", "import_run"]
    readonly_fields = ["profile_version", "created_at"]

    # An upload is a record of what the preview page parsed and imported: read, never edited.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
