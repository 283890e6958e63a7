"""Validates JSON values against docs/protocol/schema.json with the subset of JSON Schema 2020-12 it uses.

Standard library only. String lengths count UTF-16 code units, as the protocol does.
"""
import re


class SchemaCheck:
    def __init__(self, document):
        self.defs = document["$defs"]
        self._patterns = {}

    def errors(self, value, name):
        """Reasons `value` does not match `#/$defs/<name>` (empty when it matches)."""
        out = []
        self._check(value, {"$ref": "#/$defs/" + name}, "$", out)
        return out

    def _pattern(self, text):
        if text not in self._patterns:
            self._patterns[text] = re.compile(text)
        return self._patterns[text]

    def _check(self, value, schema, at, out):
        if "$ref" in schema:
            self._check(value, self.defs[schema["$ref"][len("#/$defs/"):]], at, out)
        if "const" in schema and not _same(value, schema["const"]):
            out.append(f"{at}: expected {schema['const']!r}")
            return
        if "enum" in schema and not any(_same(value, v) for v in schema["enum"]):
            out.append(f"{at}: {value!r} not one of {schema['enum']}")
            return
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            if not any(_is_type(value, t) for t in types):
                out.append(f"{at}: expected {'/'.join(types)}, got {type(value).__name__}")
                return
        for sub in schema.get("allOf", []):
            self._check(value, sub, at, out)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                matching = 0
                for sub in schema[key]:
                    errs = []
                    self._check(value, sub, at, errs)
                    matching += not errs
                if matching == 0 or (key == "oneOf" and matching > 1):
                    out.append(f"{at}: matches {matching} of the {key} alternatives")
        if isinstance(value, str):
            units = len(value.encode("utf-16-le", "surrogatepass")) // 2
            if units < schema.get("minLength", 0) or units > schema.get("maxLength", units):
                out.append(f"{at}: length {units} out of bounds")
            if "pattern" in schema and not self._pattern(schema["pattern"]).search(value):
                out.append(f"{at}: {value!r} does not match /{schema['pattern']}/")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                out.append(f"{at}: {value} < {schema['minimum']}")
            if "maximum" in schema and value > schema["maximum"]:
                out.append(f"{at}: {value} > {schema['maximum']}")
            if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
                out.append(f"{at}: {value} <= {schema['exclusiveMinimum']}")
        if isinstance(value, list):
            if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
                out.append(f"{at}: {len(value)} items out of bounds")
            if "items" in schema:
                for i, item in enumerate(value):
                    self._check(item, schema["items"], f"{at}[{i}]", out)
        if isinstance(value, dict):
            props = schema.get("properties", {})
            for key in schema.get("required", []):
                if key not in value:
                    out.append(f"{at}.{key}: missing")
            for key, item in value.items():
                if "propertyNames" in schema:
                    self._check(key, schema["propertyNames"], f"{at}.{key} (name)", out)
                if key in props:
                    self._check(item, props[key], f"{at}.{key}", out)
                elif schema.get("additionalProperties") is False:
                    out.append(f"{at}.{key}: unknown field")
                elif isinstance(schema.get("additionalProperties"), dict):
                    self._check(item, schema["additionalProperties"], f"{at}.{key}", out)


def _is_type(value, t):
    if t == "integer":
        return isinstance(value, int) and not isinstance(value, bool) or (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}[t] is type(value)


def _same(a, b):
    return a == b and isinstance(a, bool) == isinstance(b, bool)
