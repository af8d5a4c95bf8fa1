from renkei.core.models import IndustryClass, Municipality, Prefecture


def test_reference_data_is_loaded_by_migrations(db):
    assert Prefecture.objects.count() == 47
    assert Municipality.objects.count() == 1916
    assert IndustryClass.objects.filter(level=4).count() == 1473
    assert IndustryClass.objects.get(code="2511").major_code == "E"
