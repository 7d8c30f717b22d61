"""Training: the model learns from the chats.

- Data: the dialogue log and feedback turned into OpenAI's fine-tuning JSONL (`dataset`,
  `checks`, `redaction`, `export`), question-and-answer examples from learned documents
  (`from_docs`).
- Fine-tuning behind one protocol, `base.FineTuner`, chosen in `factory`:
  - offline (`local_backend`): a LoRA adapter for the local GGUF chat model, trained on this
    machine in a separate low-priority process (`jobs`, `worker`; the engine is `chat_data`,
    `local_trainer`, `replay`, `lora_gguf`, `heldout`) and kept in `adapters` only if llama.cpp's
    held-out loss beats the base model's;
  - through an OpenAI-compatible service (`openai_finetune`).
- Failures are `errors.TrainingError`s, sentences for the user.

Importing this package loads no model and no training library (torch, transformers, peft and
gguf come with the optional `train` extra and are imported only when training runs).
"""
