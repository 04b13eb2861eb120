// binserve::jinja: renders a parsed template.
//
// Scopes as @huggingface/jinja has them: the template's top level is one
// scope holding the globals and the caller's variables; each for loop opens
// one scope for all its iterations (a `set` inside it is not seen after the
// loop; a namespace attribute set inside it is); if blocks open none; a macro
// call opens one whose parent is the scope the macro was defined in.
// Throws jinja::error naming the construct and its line.
#pragma once

#include "chat/jinja_ast.hpp"

namespace binserve::jinja {

// `variables`: globals (jinja_builtins.hpp) and the caller's values.
// `program` must outlive the call; one program may be rendered concurrently.
std::string render(const program& p, object_map variables);

}  // namespace binserve::jinja
