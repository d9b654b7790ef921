"""Language identification: lid.176 first, a close-language discriminator for ind/zsm/jav/sun/min/tgl and
seven regional languages of Indonesia, and script letters for a language lid.176 calls by another name
(Malay in Jawi script: ``zsm_Arab``)."""

from saring.stages.langid.stage import LangId, LangIdParams

__all__ = ["LangId", "LangIdParams"]
