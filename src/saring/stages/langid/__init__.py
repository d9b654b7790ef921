"""Language identification: lid.176 first, a close-language discriminator for ind/zsm/jav/sun/min/tgl and
seven regional languages of Indonesia."""

from saring.stages.langid.stage import LangId, LangIdParams

__all__ = ["LangId", "LangIdParams"]
