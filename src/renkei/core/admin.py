from django.contrib import admin

from .models import CalendarDay


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "is_closed", "name")
    list_filter = ("is_closed",)
    ordering = ("-date",)
