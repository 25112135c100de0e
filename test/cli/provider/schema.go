package main

// schema is the Pulumi package schema the YAML language host reads through GetSchema.
const schema = `{
  "name": "testprov",
  "version": "0.0.1",
  "resources": {
    "testprov:index:Item": {
      "inputProperties": {
        "value": {"type": "string"},
        "payloadBytes": {"type": "integer"},
        "replaceKey": {"type": "string"},
        "secret": {"type": "string", "secret": true},
        "sleepMs": {"type": "integer"}
      },
      "requiredInputs": ["value"],
      "properties": {
        "value": {"type": "string"},
        "payloadBytes": {"type": "integer"},
        "replaceKey": {"type": "string"},
        "secret": {"type": "string", "secret": true},
        "sleepMs": {"type": "integer"},
        "payload": {"type": "string"},
        "secretEcho": {"type": "string", "secret": true},
        "revision": {"type": "number"}
      },
      "required": ["value", "revision"]
    },
    "testprov:index:Group": {
      "isComponent": true,
      "inputProperties": {"count": {"type": "integer"}},
      "properties": {"names": {"type": "array", "items": {"type": "string"}}},
      "required": ["names"]
    }
  }
}`
