"""coord-hooks: the enforcement points that do not depend on an agent remembering the protocol.

`coord-hook prepare-commit-msg` and `coord-hook pre-push` (git), `coord-hook claude
session-start|pre-tool-use|post-tool-use|session-end` (Claude Code) and `coord-hook ci --base
REF` (pull requests). Depends only on coord-protocol,
and at run time only on its stdlib modules (errors, local.env, git); the HTTP path is `_http`.
Symbol-aware edit checks use coord-engine when it happens to be installed.
"""

from coord_hooks.config import HookConfig, PrePushMode, resolve_hook_config

__all__ = ["HookConfig", "PrePushMode", "resolve_hook_config"]
