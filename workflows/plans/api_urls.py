from config.routers import Router

from . import api

router = Router()
router.register("plans", api.PlanViewSet, basename="plan")
router.register("targets", api.TargetViewSet, basename="target")
router.register("standards", api.StandardViewSet, basename="standard")
router.register("tasks", api.TaskViewSet, basename="task")
router.register("change-requests", api.ChangeRequestViewSet, basename="change-request")

urlpatterns = router.urls
