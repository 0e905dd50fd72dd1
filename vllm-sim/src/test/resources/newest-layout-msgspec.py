"""Golden payloads for PayloadLayout.NEWEST_ARRAY / NEWEST_MAP (PayloadEncoderHexTest, KvEventDecoderTest).

A msgspec model of the newest field lists as /work/shared/vllm-kv-events.md sections 2 and 7 describe them (this is
our model, not vLLM's code: the typed extra keys' inner field names are kvrelay's choice). Run with msgspec 0.22.0:
    python3 newest-layout-msgspec.py
"""
from typing import Any, Optional, Union

import msgspec


class Lora(msgspec.Struct, tag_field="type", tag="lora"):
    name: str


class CacheSalt(msgspec.Struct, tag_field="type", tag="cache_salt"):
    salt: str


class PromptEmbeds(msgspec.Struct, tag_field="type", tag="prompt_embeds"):
    hash: bytes


class MM(msgspec.Struct, tag_field="type", tag="mm"):
    identifier: Union[str, bytes]
    offset: int


class Legacy(msgspec.Struct, tag_field="type", tag="legacy"):
    value: Any


ExtraKey = Union[Lora, CacheSalt, PromptEmbeds, MM, Legacy]


def model(array_like):
    class Event(msgspec.Struct, array_like=array_like, omit_defaults=True, tag=True):
        pass

    class BlockStored(Event):
        block_hashes: list[Union[int, bytes]]
        parent_block_hash: Optional[Union[int, bytes]]
        token_ids: list[int]
        block_size: int
        lora_id: Optional[int]
        medium: Optional[str]
        lora_name: Optional[str]
        event_version: int = 1
        extra_keys: Optional[list[Optional[tuple[ExtraKey, ...]]]] = None
        group_idx: Optional[int] = None
        kv_cache_spec_kind: Optional[str] = None
        kv_cache_spec_sliding_window: Optional[int] = None
        locality: Optional[str] = None
        ownership: Optional[str] = None

    class BlockRemoved(Event):
        block_hashes: list[Union[int, bytes]]
        medium: Optional[str]
        group_idx: Optional[int] = None
        locality: Optional[str] = None
        ownership: Optional[str] = None

    class AllBlocksCleared(Event):
        pass

    class KVEventBatch(msgspec.Struct, array_like=True, omit_defaults=True):
        ts: float
        events: list[Union[BlockStored, BlockRemoved, AllBlocksCleared]]
        data_parallel_rank: Optional[int] = None

    return KVEventBatch, BlockStored, BlockRemoved, AllBlocksCleared


def batch(array_like):
    Batch, Stored, Removed, Cleared = model(array_like)
    return Batch(1757500000.25, [
        Stored([0xDEADBEEF12345678, 2**64 - 1], None, [1, 2, 3, 4, 5, 6, 7, 8], 4, None, "GPU", "sql-adapter",
               extra_keys=[(Lora("sql-adapter"), CacheSalt("tenant-7"), MM("img-1", 2)),
                           (Lora("sql-adapter"), PromptEmbeds(bytes.fromhex("cafebabe")))],
               group_idx=0, kv_cache_spec_kind="full_attention", locality="LOCAL", ownership="req-1"),
        Stored([7], 0xDEADBEEF12345678, [], 4, None, "STORAGE", None, event_version=2,
               extra_keys=[(Legacy(["mm-hash", 0]), MM(bytes.fromhex("00ff"), 0))], locality="REMOTE"),
        Removed([0xDEADBEEF12345678], "STORAGE", group_idx=0, locality="REMOTE", ownership="pod-b"),
        Cleared(),
    ], 0)


if __name__ == "__main__":
    for name, array_like in (("NEWEST_ARRAY", True), ("NEWEST_MAP", False)):
        print(name, msgspec.msgpack.encode(batch(array_like)).hex())
