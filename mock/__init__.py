"""aihubmix_mock: a stateful mock of the AIHubMix / APIMart video-generation APIs, driven by the
hand-authored OpenAPI spec in openapi/. Installed from the repo's mock/ folder under this name so it
never shadows PyPI's `mock`.

    from aihubmix_mock import create_app, MockConfig, MockServer
"""

from .app import create_app
from .config import MockConfig
from .errors import UnconfirmedRuleWarning
from .server import MockServer

__all__ = ["create_app", "MockConfig", "MockServer", "UnconfirmedRuleWarning", "__version__"]
__version__ = "0.1.0"
