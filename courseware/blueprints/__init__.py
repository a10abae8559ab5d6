"""One blueprint per audience; registered here in one place."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import errors
    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .badges import bp as badges_bp
    from .firm import bp as firm_bp
    from .health import bp as health_bp
    from .learner import bp as learner_bp
    from .public import bp as public_bp
    from .reports import bp as reports_bp
    from .studio import bp as studio_bp
    from .verify import bp as verify_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(learner_bp, url_prefix="/me")
    app.register_blueprint(firm_bp, url_prefix="/firm")
    app.register_blueprint(studio_bp, url_prefix="/studio")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(reports_bp, url_prefix="/reports")
    app.register_blueprint(badges_bp)  # prefix-free: /issuers/..., /status/..., /verify/<code>.json
    app.register_blueprint(verify_bp, url_prefix="/verify")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(health_bp)  # /healthz, /readyz, /metrics
    errors.init_app(app)
