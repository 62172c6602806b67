app_name = "runner"
urlpatterns = []
