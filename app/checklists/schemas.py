"""Response bodies of the libraries API."""

from pydantic import BaseModel

from app.checklists.schema import AreaDef, Library, ProductDef


class LibrarySummary(BaseModel):
    id: str
    version: str
    title: str
    description: str
    products: list[ProductDef]
    areas: list[AreaDef]
    item_count: int

    @classmethod
    def of(cls, library: Library) -> "LibrarySummary":
        return cls(
            id=library.id,
            version=library.version,
            title=library.title,
            description=library.description,
            products=library.products,
            areas=library.areas,
            item_count=len(library.items),
        )
